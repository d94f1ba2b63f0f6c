"""The loop that turns due deadline reminders into emails, once each, with any number of replicas."""

import asyncio
from collections.abc import Callable
from datetime import date

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.clock import china_today
from bluemap_notifications.deadlines.models import DeadlineReminder, ReminderStatus
from bluemap_notifications.deadlines.repository import ReminderRepository
from bluemap_notifications.deadlines.schedule import Decision, ReminderKind, decide
from bluemap_notifications.deadlines.service import get_record, state_of
from bluemap_notifications.emails import service as emails
from bluemap_shared.db import SessionMaker, on_commit, utcnow

log = structlog.get_logger()

_OUTCOME = {Decision.CANCEL: ReminderStatus.CANCELLED, Decision.EXPIRE: ReminderStatus.EXPIRED}


class ReminderScheduler:
    """Claims due reminders (FOR UPDATE SKIP LOCKED) and decides each in its own transaction.

    A reminder leaves the scheduled state in the transaction that queues its email, and the
    email's unique (tenant, purpose, cause = reminder) key backs that up: each reminder is
    emailed at most once, whichever replica claims it.
    """

    def __init__(
        self,
        sessionmaker: SessionMaker,
        *,
        portal_base_url: str,
        wake_dispatcher: Callable[[], None],
        poll_interval: float = 60.0,
        batch_size: int = 50,
        today: Callable[[], date] = china_today,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._portal_base_url = portal_base_url
        self._wake_dispatcher = wake_dispatcher
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._today = today

    async def run(self) -> None:
        """Look for due reminders until cancelled."""
        while True:
            try:
                decided = await self.run_due()
            except Exception:
                log.exception("reminder.run_failed")
                decided = 0
            if decided < self._batch_size:
                await asyncio.sleep(self._poll_interval)

    async def run_due(self) -> int:
        """Decide up to batch_size reminders due by today; return how many were decided."""
        today = self._today()
        async with self._sessionmaker() as session, session.begin():
            expired = await ReminderRepository(session).expire_passed(today, utcnow())
        if expired:
            log.info("reminder.expired", count=expired)
        decided = 0
        while decided < self._batch_size:
            # One reminder per transaction: a failure rolls back only the reminder in hand.
            async with self._sessionmaker() as session, session.begin():
                claimed = await ReminderRepository(session).claim_due(today, limit=1)
                if not claimed:
                    break
                await self._decide(session, claimed[0], today)
            decided += 1
        return decided

    async def _decide(self, session: AsyncSession, reminder: DeadlineReminder, today: date) -> None:
        record = await get_record(session, reminder.tenant_id, reminder.record_id)
        decision = decide(
            kind=ReminderKind(reminder.kind), due_on=reminder.due_on, record=state_of(record), today=today
        )
        reminder.decided_at = utcnow()
        session.add(reminder)
        if decision is not Decision.SEND or record is None:
            reminder.status = _OUTCOME.get(decision, ReminderStatus.CANCELLED)
            log.info("reminder.not_sent", reminder_id=str(reminder.id), outcome=reminder.status)
            return
        email = await emails.queue_deadline_reminder(
            session, reminder, record, today=today, portal_base_url=self._portal_base_url
        )
        if email is None:
            reminder.status = ReminderStatus.SKIPPED
            return
        reminder.status = ReminderStatus.QUEUED
        reminder.email_id = email.id
        on_commit(session, self._wake_dispatcher)
        log.info("reminder.queued", reminder_id=str(reminder.id), email_id=str(email.id), kind=reminder.kind)
