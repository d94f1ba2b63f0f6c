"""Explanation projection and queries; the caller's transaction commits."""

from collections.abc import Collection, Sequence
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.explanations.models import PortalExplanation
from bluemap_portal.explanations.repository import ExplanationRepository
from bluemap_portal.record_types import ENTERPRISE_FEEDBACK
from bluemap_portal.site.page_cache import touch_pages
from bluemap_shared.events.catalog import ExplanationPublished


async def project_published(session: AsyncSession, tenant_id: str, event: ExplanationPublished) -> None:
    """Show an approved explanation under its record."""
    touch_pages(session, tenant_id, enterprise_ids=[event.enterprise_id], record_types=[ENTERPRISE_FEEDBACK])
    await ExplanationRepository(session).upsert(
        {
            "id": event.explanation_id,
            "tenant_id": tenant_id,
            "record_id": event.record_id,
            "enterprise_id": event.enterprise_id,
            "submission_id": event.submission_id,
            "violation": event.violation,
            "reasons": event.reasons,
            "corrective_actions": event.corrective_actions,
            "monitoring": event.monitoring.model_dump(mode="json") if event.monitoring else None,
            "published_at": event.published_at,
            "submitted_at": event.submitted_at,
        }
    )


async def of_enterprise(session: AsyncSession, tenant_id: str, enterprise_id: UUID) -> Sequence[PortalExplanation]:
    return await ExplanationRepository(session).of_enterprise(tenant_id, enterprise_id)


async def get_many(session: AsyncSession, tenant_id: str, ids: Collection[UUID]) -> Sequence[PortalExplanation]:
    return await ExplanationRepository(session).get_many(tenant_id, ids)
