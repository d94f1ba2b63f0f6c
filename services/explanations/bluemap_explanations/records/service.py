"""Keeping the read model in step with the records service."""

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.records.repository import ExplainableRecordRepository
from bluemap_shared.events.catalog import RecordPublished

log = structlog.get_logger()


async def project_record_published(session: AsyncSession, tenant_id: str, event: RecordPublished) -> None:
    """Upsert the record, so a replayed event (even under a new event id) leaves the same row."""
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
            "published_at": event.published_at,
        }
    )
    if not written:
        # Ids are uuid7 and never shared; a collision is a bug or forgery upstream, worth a look.
        log.warning("records.cross_tenant_record_id_ignored", record_id=str(event.record_id), tenant_id=tenant_id)
