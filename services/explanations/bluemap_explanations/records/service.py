"""Keeping the read model in step with the records service."""

from datetime import datetime
from typing import Any

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.records.models import KnownEnterprise
from bluemap_explanations.records.repository import ExplainableRecordRepository, KnownEnterpriseRepository
from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished, RecordRetracted, RecordUpdated

log = structlog.get_logger()


async def project_record_published(
    session: AsyncSession, tenant_id: str, event: RecordPublished, *, emitted_at: datetime
) -> None:
    """Upsert the record, so a replayed event (even under a new event id) leaves the same row."""
    await _project_record(
        session,
        tenant_id,
        event,
        {"revision": 1, "published_at": event.published_at},
        emitted_at=emitted_at,
    )


async def project_record_updated(
    session: AsyncSession, tenant_id: str, event: RecordUpdated, *, emitted_at: datetime
) -> None:
    """The record's new content; its publication time stays (known only from RecordPublished)."""
    await _project_record(
        session,
        tenant_id,
        event,
        # Inserted only if RecordPublished never arrived; then the update time is the best there is.
        {"revision": event.revision, "published_at": event.updated_at},
        emitted_at=emitted_at,
        keep=("published_at",),
    )


async def project_record_retracted(session: AsyncSession, tenant_id: str, event: RecordRetracted) -> None:
    """A withdrawn record leaves the workspace: no more saving or sending (what was sent stays sent)."""
    await ExplainableRecordRepository(session).retract(tenant_id, event.record_id, event.retracted_at)


async def _project_record(
    session: AsyncSession,
    tenant_id: str,
    event: RecordPublished | RecordUpdated,
    extra: dict[str, Any],
    *,
    emitted_at: datetime,
    keep: tuple[str, ...] = (),
) -> None:
    written = await ExplainableRecordRepository(session).upsert(
        {
            "record_id": event.record_id,
            "tenant_id": tenant_id,
            "enterprise_id": event.enterprise.enterprise_id,
            "enterprise_name": event.enterprise.name,
            "record_type": event.record_type,
            "explainable": event.explainable,
            "year": event.year,
            "source_title": event.source_title,
            "issuing_authority": event.issuing_authority,
            "issued_on": event.issued_on,
            "explanation_due_on": event.explanation_due_on,
            **extra,
        },
        keep=keep,
    )
    if not written:
        # An older revision replayed, or (ids are uuid7, never shared) a bug or forgery upstream.
        log.warning("records.stale_or_foreign_record_ignored", record_id=str(event.record_id), tenant_id=tenant_id)
        return
    await project_enterprise(session, tenant_id, event.enterprise, emitted_at=emitted_at)


async def project_enterprise(
    session: AsyncSession, tenant_id: str, enterprise: EnterpriseSnapshot, *, emitted_at: datetime
) -> None:
    """Keep the newest description of the enterprise, whichever event carried it."""
    await KnownEnterpriseRepository(session).upsert(
        {
            "enterprise_id": enterprise.enterprise_id,
            "tenant_id": tenant_id,
            "uscc": enterprise.uscc,
            "name": enterprise.name,
            "name_en": enterprise.name_en,
            "region_code": enterprise.region_code,
            "registered_emails": [str(email) for email in enterprise.registered_emails],
            "described_at": emitted_at,
        }
    )


def snapshot_of(enterprise: KnownEnterprise) -> EnterpriseSnapshot:
    """The enterprise as events carry it."""
    return EnterpriseSnapshot(
        enterprise_id=enterprise.enterprise_id,
        uscc=enterprise.uscc,
        name=enterprise.name,
        name_en=enterprise.name_en,
        region_code=enterprise.region_code,
        registered_emails=list(enterprise.registered_emails),
    )
