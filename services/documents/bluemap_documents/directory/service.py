"""Keeping the read model of enterprises and records in step with the events that describe them."""

from collections.abc import Sequence
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.directory.models import KnownRecord
from bluemap_documents.directory.repository import DirectoryRepository
from bluemap_shared.db import standing_rows
from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished, RecordUpdated, SubmittedExplanation
from bluemap_shared.problems import InvalidInput

log = structlog.get_logger()


async def project_enterprise(session: AsyncSession, tenant_id: str, enterprise: EnterpriseSnapshot) -> None:
    """Keep the latest snapshot of an enterprise (names for listings, USCC)."""
    await project_enterprises(session, [(tenant_id, enterprise)])


async def project_enterprises(session: AsyncSession, snapshots: Sequence[tuple[str, EnterpriseSnapshot]]) -> None:
    """Keep the last of the snapshots (tenant, snapshot; in delivery order) of each enterprise."""
    rows = [
        {
            "enterprise_id": enterprise.enterprise_id,
            "tenant_id": tenant_id,
            "uscc": enterprise.uscc,
            "name": enterprise.name,
            "name_en": enterprise.name_en,
        }
        for tenant_id, enterprise in snapshots
    ]
    repository = DirectoryRepository(session)
    for statement in standing_rows(rows, key=("enterprise_id",), owner="tenant_id"):
        written = set(await repository.upsert_enterprises(statement))
        for row in statement:
            if row["enterprise_id"] not in written:
                log.warning("directory.cross_tenant_enterprise_ignored", enterprise_id=str(row["enterprise_id"]))


async def project_records(
    session: AsyncSession, events: Sequence[tuple[str, RecordPublished]] | Sequence[tuple[str, RecordUpdated]]
) -> None:
    """Upsert the records (tenant, event; distinct records), so a replayed event (even under a new event id)
    leaves the same rows."""
    await project_enterprises(session, [(tenant_id, event.enterprise) for tenant_id, event in events])
    written = set(
        await DirectoryRepository(session).upsert_records(
            [
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
                for tenant_id, event in events
            ]
        )
    )
    for _, event in events:
        if event.record_id not in written:
            log.warning("directory.cross_tenant_record_ignored", record_id=str(event.record_id))


async def project_submitted_records(
    session: AsyncSession, tenant_id: str, enterprise_id: UUID, explanations: Sequence[SubmittedExplanation]
) -> None:
    """Learn records from a submission too, without overwriting what the records service said of them."""
    repository = DirectoryRepository(session)
    for item in explanations:
        await repository.insert_record_if_missing(
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
            }
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
