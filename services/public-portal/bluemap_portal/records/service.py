"""Record projection and the enterprise page's grouping; the caller's transaction commits."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.record_types import record_type, sort_key
from bluemap_portal.records.models import PortalRecord
from bluemap_portal.records.repository import RecordRepository
from bluemap_portal.records.schemas import RecordGroup, RecordPublic
from bluemap_shared.events.catalog import RecordPublished

AWAITING_EXPLANATION = "awaiting_explanation"
PUBLISHED = "published"


async def project_record_published(session: AsyncSession, tenant_id: str, event: RecordPublished) -> None:
    """Store or refresh the public copy of a published record."""
    await RecordRepository(session).upsert(
        {
            "id": event.record_id,
            "tenant_id": tenant_id,
            "enterprise_id": event.enterprise.enterprise_id,
            "record_type": event.record_type,
            "year": event.year,
            "source_title": event.source_title,
            "issuing_authority": event.issuing_authority,
            "issued_on": event.issued_on,
            "source_url": event.source_url,
            "summary": event.summary,
            "status": AWAITING_EXPLANATION if event.explainable else PUBLISHED,
            "explanation_due_on": event.explanation_due_on if event.explainable else None,
            "published_at": event.published_at,
        }
    )


async def records_of(session: AsyncSession, tenant_id: str, enterprise_id: UUID) -> Sequence[PortalRecord]:
    return await RecordRepository(session).of_enterprise(tenant_id, enterprise_id)


def group_by_type(records: Iterable[PortalRecord | RecordPublic]) -> list[RecordGroup]:
    """Records by type, types in the catalogue's order; each group keeps the given order."""
    groups: dict[str, list[RecordPublic]] = defaultdict(list)
    for record in records:
        groups[record.record_type].append(RecordPublic.model_validate(record, from_attributes=True))
    return [
        RecordGroup(
            record_type=code,
            label_zh=record_type(code).label_zh,
            label_en=record_type(code).label_en,
            records=groups[code],
        )
        for code in sorted(groups, key=sort_key)
    ]
