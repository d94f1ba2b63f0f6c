"""Record use cases; the caller's transaction commits them."""

from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.deadlines import explanation_deadline
from bluemap_records.enterprises.service import get_enterprise, snapshot
from bluemap_records.record_types import RECORD_TYPES
from bluemap_records.records.content import CONTENT_FIELDS, RecordContent
from bluemap_records.records.lifecycle import IllegalTransition, Trigger, initial_status, next_status
from bluemap_records.records.models import Record, RecordRevision, RecordStatus, RecordStatusChange
from bluemap_records.records.repository import RecordRepository
from bluemap_records.records.schemas import RecordCreate, RecordRevise
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import (
    EnterpriseSnapshot,
    RecordPublished,
    RecordRetracted,
    RecordStatusChanged,
    RecordUpdated,
)
from bluemap_shared.messaging import emit
from bluemap_shared.problems import Conflict, InvalidInput, NotFound

log = structlog.get_logger()

PUBLISHED = "published"  # the trigger of a record's first status


def content_sha256(data: RecordCreate) -> str:
    """Fingerprint of a record's source content, to tell a real change from a re-import."""
    return data.content().sha256()


def published_event(record: Any, enterprise: EnterpriseSnapshot) -> RecordPublished:
    """RecordPublished of a record (a model, or a row with its columns)."""
    return RecordPublished(
        record_id=record.id,
        enterprise=enterprise,
        record_type=record.record_type,
        explainable=RECORD_TYPES[record.record_type].explainable,
        year=record.year,
        source_title=record.source_title,
        issuing_authority=record.issuing_authority,
        issued_on=record.issued_on,
        source_url=record.source_url,
        summary=record.summary,
        published_at=record.published_at,
        explanation_due_on=record.explanation_due_on,
        import_id=record.import_id,
    )


def updated_event(record: Any, enterprise: EnterpriseSnapshot) -> RecordUpdated:
    """RecordUpdated of a record's new content (a model, or a row with its columns)."""
    return RecordUpdated(
        record_id=record.id,
        enterprise=enterprise,
        record_type=record.record_type,
        explainable=RECORD_TYPES[record.record_type].explainable,
        year=record.year,
        source_title=record.source_title,
        issuing_authority=record.issuing_authority,
        issued_on=record.issued_on,
        source_url=record.source_url,
        summary=record.summary,
        revision=record.revision,
        updated_at=record.updated_at,
        explanation_due_on=record.explanation_due_on,
    )


async def find_same_record(session: AsyncSession, tenant_id: str, enterprise_id: UUID, content: RecordContent) -> Any:
    """The record with this identity (import format v1), retracted or not, or None."""
    repository = RecordRepository(session)
    if content.external_id is not None:
        found = await repository.match_external_ids(tenant_id, [(content.issuing_authority, content.external_id)])
    else:
        key = (enterprise_id, content.record_type, content.issuing_authority, content.issued_on, content.source_title)
        found = await repository.match_natural_keys(tenant_id, [key])
    return found[0] if found else None


async def publish_record(
    session: AsyncSession, tenant_id: str, data: RecordCreate, *, actor: str | None, provenance: str = "api"
) -> Record:
    """Store a record and announce it; explainable ones get a deadline of 10 working days."""
    enterprise = await get_enterprise(session, tenant_id, data.enterprise_id)
    content = data.content()
    existing = await find_same_record(session, tenant_id, enterprise.id, content)
    if existing is not None:
        raise Conflict("This record exists already (same identity in the import format).", record_id=str(existing.id))
    explainable = RECORD_TYPES[data.record_type].explainable
    now = utcnow()
    record = Record(
        tenant_id=tenant_id,
        enterprise_id=enterprise.id,
        record_type=content.record_type,
        year=content.year,
        source_title=content.source_title,
        issuing_authority=content.issuing_authority,
        issued_on=content.issued_on,
        source_url=content.source_url,
        summary=content.summary,
        external_id=content.external_id,
        status=initial_status(explainable),
        explanation_due_on=explanation_deadline(now) if explainable else None,
        provenance=provenance,
        received_at=now,
        content_sha256=content.sha256(),
        published_at=now,
        published_by=actor,
        updated_at=now,
    )
    RecordRepository(session).add(record)
    await session.flush()
    emit(session, published_event(record, snapshot(enterprise)), tenant_id=tenant_id)
    return record


def publication(record: Record) -> RecordStatusChange:
    """The first step of a record's status history, which the record keeps rather than a history row."""
    return RecordStatusChange(
        tenant_id=record.tenant_id,
        record_id=record.id,
        status=initial_status(RECORD_TYPES[record.record_type].explainable),
        trigger=PUBLISHED,
        actor=record.published_by,
        changed_at=record.published_at,
    )


def content_of(record: Record) -> RecordContent:
    return RecordContent(**{name: getattr(record, name) for name in CONTENT_FIELDS})


async def revise_record(session: AsyncSession, tenant_id: str, record_id: UUID, data: RecordRevise) -> Record:
    """Correct a record's content: the old one goes to its revisions, RecordUpdated only on a real change."""
    record = await get_record(session, tenant_id, record_id, for_update=True)
    if record.retracted_at is not None:
        raise Conflict("The record was retracted.")
    current = content_of(record)
    try:
        revised = data.apply(current)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    if revised.sha256() == record.content_sha256:
        return record
    if RECORD_TYPES[revised.record_type].explainable != RECORD_TYPES[current.record_type].explainable:
        raise Conflict("That type changes whether the enterprise must explain; retract the record and publish anew.")
    same = await find_same_record(session, tenant_id, record.enterprise_id, revised)
    if same is not None and same.id != record.id:
        raise Conflict("Another record has this identity already.", record_id=str(same.id))
    now = utcnow()
    repository = RecordRepository(session)
    repository.add_revision(
        RecordRevision(
            tenant_id=tenant_id,
            record_id=record.id,
            revision=record.revision,
            **asdict(current),
            content_sha256=record.content_sha256,
            provenance=record.provenance,
            import_id=record.import_id,
            received_at=record.received_at,
            superseded_at=now,
        )
    )
    for name, value in asdict(revised).items():
        setattr(record, name, value)
    record.content_sha256 = revised.sha256()
    record.revision += 1
    record.provenance = "api"
    record.import_id = None
    record.received_at = record.updated_at = now
    await session.flush()
    enterprise = await get_enterprise(session, tenant_id, record.enterprise_id)
    emit(session, updated_event(record, snapshot(enterprise)), tenant_id=tenant_id)
    return record


async def get_record(session: AsyncSession, tenant_id: str, record_id: UUID, *, for_update: bool = False) -> Record:
    record = await RecordRepository(session).get(tenant_id, record_id, for_update=for_update)
    if record is None:
        raise NotFound("No such record.")
    return record


def _move(
    session: AsyncSession,
    record: Record,
    trigger: Trigger,
    *,
    reason: str | None,
    actor: str | None,
    cause_event_id: UUID | None,
    at: datetime,
) -> None:
    """Apply a transition the lifecycle allows: status, deadline, history row and RecordStatusChanged."""
    previous = record.status
    record.status = next_status(previous, trigger)
    if record.status == RecordStatus.RESTORED:
        # Back on the list: the enterprise owes a new explanation, on a new deadline.
        record.explanation_due_on = explanation_deadline(at)
    record.updated_at = at
    RecordRepository(session).add_status_change(
        RecordStatusChange(
            tenant_id=record.tenant_id,
            record_id=record.id,
            previous_status=previous,
            status=record.status,
            trigger=trigger,
            reason=reason,
            cause_event_id=cause_event_id,
            actor=actor,
            changed_at=at,
        )
    )
    emit(
        session,
        RecordStatusChanged(
            record_id=record.id,
            enterprise_id=record.enterprise_id,
            previous_status=previous,
            status=record.status,
            reason=reason,
            cause_event_id=cause_event_id,
            changed_at=at,
            explanation_due_on=record.explanation_due_on,
        ),
        tenant_id=record.tenant_id,
    )


async def decide(
    session: AsyncSession, tenant_id: str, record_id: UUID, trigger: Trigger, *, reason: str | None, actor: str
) -> Record:
    """An operator's decision after an audit (resolve, restore); 409 when the status does not allow it."""
    record = await get_record(session, tenant_id, record_id, for_update=True)
    if record.retracted_at is not None:
        raise Conflict("The record was retracted.", record_status=record.status)
    try:
        _move(session, record, trigger, reason=reason, actor=actor, cause_event_id=None, at=utcnow())
    except IllegalTransition as exc:
        raise Conflict(f"Not possible now: {exc}.", record_status=record.status) from exc
    await session.flush()
    return record


async def advance(
    session: AsyncSession,
    tenant_id: str,
    record_id: UUID,
    trigger: Trigger,
    *,
    enterprise_id: UUID,
    cause_event_id: UUID,
    actor: str | None = None,
    reason: str | None = None,
) -> bool:
    """Move a record on another service's event; what does not apply is logged and ignored. True if moved."""
    context = {"record_id": str(record_id), "trigger": str(trigger), "cause_event_id": str(cause_event_id)}
    record = await RecordRepository(session).get(tenant_id, record_id, for_update=True)
    if record is None or record.enterprise_id != enterprise_id:
        log.warning("records.status_event_unknown_record", **context)
        return False
    if record.retracted_at is not None:
        log.info("records.status_event_retracted_record", **context)
        return False
    try:
        _move(session, record, trigger, reason=reason, actor=actor, cause_event_id=cause_event_id, at=utcnow())
    except IllegalTransition as exc:
        log.info("records.status_event_ignored", status=record.status, reason=str(exc), **context)
        return False
    await session.flush()
    return True


async def retract_record(session: AsyncSession, tenant_id: str, record_id: UUID, *, reason: str) -> Record:
    """Withdraw a record published in error: it leaves every list (RecordRetracted)."""
    record = await get_record(session, tenant_id, record_id, for_update=True)
    if record.retracted_at is not None:
        raise Conflict("The record was retracted already.", retracted_at=record.retracted_at.isoformat())
    record.retracted_at = record.updated_at = utcnow()
    record.retraction_reason = reason
    await session.flush()
    emit(
        session,
        RecordRetracted(
            record_id=record.id, enterprise_id=record.enterprise_id, reason=reason, retracted_at=record.retracted_at
        ),
        tenant_id=tenant_id,
    )
    return record
