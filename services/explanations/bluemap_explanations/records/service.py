"""Keeping the read model in step with the records service."""

from collections.abc import Callable, Sequence
from typing import Any

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.records.models import KnownEnterprise
from bluemap_explanations.records.repository import ExplainableRecordRepository, KnownEnterpriseRepository
from bluemap_shared.db import standing_rows
from bluemap_shared.events.catalog import (
    EnterpriseSnapshot,
    RecordPublished,
    RecordRetracted,
    RecordStatusChanged,
    RecordUpdated,
)
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.events.seen import SnapshotSeen

log = structlog.get_logger()


async def project_records_published(session: AsyncSession, envelopes: Sequence[Envelope[RecordPublished]]) -> None:
    """Upsert the records (distinct), so a replayed event (even under a new event id) leaves the same rows."""
    await _project_records(session, envelopes, lambda event: {"revision": 1, "published_at": event.published_at})


async def project_records_updated(session: AsyncSession, envelopes: Sequence[Envelope[RecordUpdated]]) -> None:
    """The records' new content (distinct records); publication times stay (known only from RecordPublished)."""
    await _project_records(
        session,
        envelopes,
        # Inserted only if RecordPublished never arrived; then the update time is the best there is.
        lambda event: {"revision": event.revision, "published_at": event.updated_at},
        keep=("published_at",),
    )


async def project_record_retracted(session: AsyncSession, tenant_id: str, event: RecordRetracted) -> None:
    """A withdrawn record leaves the workspace: no more saving or sending (what was sent stays sent)."""
    await ExplainableRecordRepository(session).retract(tenant_id, event.record_id, event.retracted_at)


async def project_status_changed(session: AsyncSession, tenant_id: str, event: RecordStatusChanged) -> None:
    """The record's lifecycle as the records service decided it (resolved, restored), with why and its deadline."""
    await ExplainableRecordRepository(session).change_status(
        tenant_id,
        event.record_id,
        status=event.status,
        reason=event.reason,
        changed_at=event.changed_at,
        due_on=event.explanation_due_on,
    )


async def _project_records(
    session: AsyncSession,
    envelopes: Sequence[Envelope[Any]],
    extra: Callable[[Any], dict[str, Any]],
    *,
    keep: tuple[str, ...] = (),
) -> None:
    """One statement for the records, then one for the enterprises of the records written."""
    rows = []
    for envelope in envelopes:
        event: RecordPublished | RecordUpdated = envelope.data
        rows.append(
            {
                "record_id": event.record_id,
                "tenant_id": envelope.tenant_id,
                "enterprise_id": event.enterprise.enterprise_id,
                "enterprise_name": event.enterprise.name,
                "record_type": event.record_type,
                "explainable": event.explainable,
                "year": event.year,
                "source_title": event.source_title,
                "issuing_authority": event.issuing_authority,
                "issued_on": event.issued_on,
                "explanation_due_on": event.explanation_due_on,
                **extra(event),
            }
        )
    written = set(await ExplainableRecordRepository(session).upsert_many(rows, keep=keep))
    for envelope in envelopes:
        if envelope.data.record_id not in written:
            # An older revision replayed, or (ids are uuid7, never shared) a bug or forgery upstream.
            log.warning(
                "records.stale_or_foreign_record_ignored",
                record_id=str(envelope.data.record_id),
                tenant_id=envelope.tenant_id,
            )
    await project_enterprises(
        session, [SnapshotSeen.of(envelope) for envelope in envelopes if envelope.data.record_id in written]
    )


async def project_enterprises(session: AsyncSession, seen: Sequence[SnapshotSeen]) -> None:
    """Keep the newest description of each enterprise, whichever events carried them."""
    rows = [
        {
            "enterprise_id": item.enterprise.enterprise_id,
            "tenant_id": item.tenant_id,
            "uscc": item.enterprise.uscc,
            "name": item.enterprise.name,
            "name_en": item.enterprise.name_en,
            "region_code": item.enterprise.region_code,
            "registered_emails": [str(email) for email in item.enterprise.registered_emails],
            "described_at": item.as_of,
        }
        for item in seen
    ]
    repository = KnownEnterpriseRepository(session)
    for statement in standing_rows(rows, key=("enterprise_id",), newer="described_at", owner="tenant_id"):
        await repository.upsert_many(statement)


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
