"""Deadline projections: record status from the records service's events, and the reminders to send."""

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.deadlines.models import ReminderStatus, TrackedRecord
from bluemap_notifications.deadlines.repository import ReminderRepository, TrackedRecordRepository
from bluemap_notifications.deadlines.schedule import (
    OPEN_STATUSES,
    RecordState,
    ReminderKind,
    initial_status,
    reminder_dates,
    worth_scheduling,
)
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import RecordPublished, RecordRetracted, RecordStatusChanged, RecordUpdated
from bluemap_shared.ids import uuid7

log = structlog.get_logger()


def _content(tenant_id: str, event: RecordPublished | RecordUpdated) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "record_id": event.record_id,
        "enterprise_id": event.enterprise.enterprise_id,
        "record_type": event.record_type,
        "year": event.year,
        "source_title": event.source_title,
        "issuing_authority": event.issuing_authority,
        "issued_on": event.issued_on,
        "explainable": event.explainable,
        "explanation_due_on": event.explanation_due_on if event.explainable else None,
        "status": initial_status(event.explainable),
    }


async def track_published(
    session: AsyncSession, tenant_id: str, event: RecordPublished, *, days_before: int, today: date
) -> None:
    """Remember a published record and schedule the reminders of its deadline."""
    await track_published_records(session, [(tenant_id, event)], days_before=days_before, today=today)


async def track_published_records(
    session: AsyncSession, published: Sequence[tuple[str, RecordPublished]], *, days_before: int, today: date
) -> None:
    """Remember published records (tenant, event; distinct records) and schedule their deadlines' reminders:
    one statement per table."""
    await TrackedRecordRepository(session).upsert_published(
        [_content(tenant_id, event) | {"revision": 0} for tenant_id, event in published]
    )
    await _schedule(session, published, days_before=days_before, today=today)


async def track_updated(
    session: AsyncSession, tenant_id: str, event: RecordUpdated, *, days_before: int, today: date
) -> None:
    """Take a record's new content; a moved deadline gets reminders of its own."""
    await track_updated_records(session, [(tenant_id, event)], days_before=days_before, today=today)


async def track_updated_records(
    session: AsyncSession, updated: Sequence[tuple[str, RecordUpdated]], *, days_before: int, today: date
) -> None:
    """Take records' new content (tenant, event; distinct records); moved deadlines get reminders of their own:
    one statement per table."""
    await TrackedRecordRepository(session).upsert_updated(
        [_content(tenant_id, event) | {"revision": event.revision} for tenant_id, event in updated]
    )
    await _schedule(session, updated, days_before=days_before, today=today)


async def track_retracted(session: AsyncSession, tenant_id: str, event: RecordRetracted) -> None:
    """A retracted record needs no explanation: its reminders are cancelled when they fall due."""
    await TrackedRecordRepository(session).retract(tenant_id, event.record_id, event.retracted_at)


async def track_status_changed(
    session: AsyncSession, tenant_id: str, event: RecordStatusChanged, *, days_before: int, today: date
) -> None:
    """Take the record's new status; a restore's new deadline gets reminders of its own."""
    changed = await TrackedRecordRepository(session).change_status(
        tenant_id, event.record_id, event.status, event.changed_at, due_on=event.explanation_due_on
    )
    due_on = event.explanation_due_on
    if not changed or event.status not in OPEN_STATUSES or due_on is None:
        return
    await ReminderRepository(session).add_all_if_new(
        [
            _reminder(tenant_id, event.record_id, event.enterprise_id, kind, due_on, remind_on)
            for kind, remind_on in reminder_dates(due_on, days_before)
            if worth_scheduling(remind_on, today)
        ]
    )


def _reminder(
    tenant_id: str, record_id: UUID, enterprise_id: UUID, kind: ReminderKind, due_on: date, remind_on: date
) -> dict[str, Any]:
    return {
        "id": uuid7(),
        "tenant_id": tenant_id,
        "record_id": record_id,
        "enterprise_id": enterprise_id,
        "kind": kind.value,
        "due_on": due_on,
        "remind_on": remind_on,
        "status": ReminderStatus.SCHEDULED.value,
        "created_at": utcnow(),
    }


async def _schedule(
    session: AsyncSession,
    events: Sequence[tuple[str, RecordPublished]] | Sequence[tuple[str, RecordUpdated]],
    *,
    days_before: int,
    today: date,
) -> None:
    reminders = []
    for tenant_id, event in events:
        due_on = event.explanation_due_on
        if not event.explainable or due_on is None:
            continue
        for kind, remind_on in reminder_dates(due_on, days_before):
            # Historic records (imported long after their deadline) get no reminder rows at all.
            if not worth_scheduling(remind_on, today):
                continue
            reminders.append(
                _reminder(tenant_id, event.record_id, event.enterprise.enterprise_id, kind, due_on, remind_on)
            )
    await ReminderRepository(session).add_all_if_new(reminders)


async def get_record(session: AsyncSession, tenant_id: str, record_id: UUID) -> TrackedRecord | None:
    return await TrackedRecordRepository(session).get(tenant_id, record_id)


def state_of(record: TrackedRecord | None) -> RecordState | None:
    """The part of a tracked record that decides a reminder."""
    if record is None:
        return None
    return RecordState(
        status=record.status, explanation_due_on=record.explanation_due_on, retracted=record.retracted_at is not None
    )
