"""Keeping the read model of enterprises and records in step with the events that describe them."""

from collections.abc import Sequence
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.directory.models import KnownRecord
from bluemap_documents.directory.repository import DirectoryRepository
from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished, RecordUpdated, SubmittedExplanation
from bluemap_shared.problems import InvalidInput

log = structlog.get_logger()


async def project_enterprise(session: AsyncSession, tenant_id: str, enterprise: EnterpriseSnapshot) -> None:
    """Keep the latest snapshot of an enterprise (names for listings, USCC)."""
    written = await DirectoryRepository(session).upsert_enterprise(
        {
            "enterprise_id": enterprise.enterprise_id,
            "tenant_id": tenant_id,
            "uscc": enterprise.uscc,
            "name": enterprise.name,
            "name_en": enterprise.name_en,
        }
    )
    if not written:
        log.warning("directory.cross_tenant_enterprise_ignored", enterprise_id=str(enterprise.enterprise_id))


async def project_record(session: AsyncSession, tenant_id: str, event: RecordPublished | RecordUpdated) -> None:
    """Upsert the record, so a replayed event (even under a new event id) leaves the same row."""
    await project_enterprise(session, tenant_id, event.enterprise)
    written = await DirectoryRepository(session).upsert_record(
        {
            "record_id": event.record_id,
            "tenant_id": tenant_id,
            "enterprise_id": event.enterprise.enterprise_id,
            "record_type": event.record_type,
            "year": event.year,
            "source_title": event.source_title,
            "issuing_authority": event.issuing_authority,
            "issued_on": event.issued_on,
            "retracted": False,
        }
    )
    if not written:
        log.warning("directory.cross_tenant_record_ignored", record_id=str(event.record_id))


async def project_submitted_records(
    session: AsyncSession, tenant_id: str, enterprise_id: UUID, explanations: Sequence[SubmittedExplanation]
) -> None:
    """Learn records from a submission too, without overwriting what the records service said of them."""
    repository = DirectoryRepository(session)
    for item in explanations:
        await repository.upsert_record(
            {
                "record_id": item.record_id,
                "tenant_id": tenant_id,
                "enterprise_id": enterprise_id,
                "record_type": item.record_type,
                "year": item.year,
                "source_title": item.source_title,
                "issuing_authority": item.issuing_authority,
                "issued_on": item.issued_on,
                "retracted": False,
            },
            only_if_missing=True,
        )


async def retract_record(session: AsyncSession, tenant_id: str, record_id: UUID) -> None:
    await DirectoryRepository(session).mark_retracted(tenant_id, record_id)


async def records_of_enterprise(
    session: AsyncSession, tenant_id: str, enterprise_id: UUID, record_ids: Sequence[UUID]
) -> Sequence[KnownRecord]:
    """The named records, all of which must be live records of the enterprise; 422 otherwise."""
    found = {
        row.record_id: row
        for row in await DirectoryRepository(session).records(tenant_id, record_ids)
        if row.enterprise_id == enterprise_id and not row.retracted
    }
    unknown = [str(record_id) for record_id in record_ids if record_id not in found]
    if unknown:
        raise InvalidInput(
            "Name only published records of your enterprise.", reason="unknown-record", record_ids=unknown
        )
    return [found[record_id] for record_id in record_ids]
