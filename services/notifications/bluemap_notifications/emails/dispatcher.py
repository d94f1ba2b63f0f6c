"""The loop that sends pending emails over SMTP and records each outcome."""

import asyncio
import contextlib
from email.message import EmailMessage
from typing import Protocol

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.emails import service
from bluemap_notifications.emails.delivery import RetryPolicy, build_message, describe, is_permanent
from bluemap_notifications.emails.models import Email
from bluemap_notifications.emails.repository import EmailRepository
from bluemap_shared.db import SessionMaker, utcnow
from bluemap_shared.failpoints import failpoint

log = structlog.get_logger()


class Mailer(Protocol):
    """What the dispatcher sends through (bluemap_shared.mail.SmtpMailer in production)."""

    async def send(self, message: EmailMessage) -> None: ...


class EmailDispatcher:
    """Claims due emails, sends them, and marks them sent in the claiming transaction.

    The row stays locked (FOR UPDATE SKIP LOCKED) while it is sent, so concurrent dispatchers
    never send the same email; a crash before the commit leaves it pending and it is sent
    again (delivery is at least once, with the same Message-ID on every attempt).
    """

    def __init__(
        self,
        sessionmaker: SessionMaker,
        mailer: Mailer,
        *,
        mail_from: str,
        policy: RetryPolicy,
        poll_interval: float = 1.0,
        batch_size: int = 10,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._mailer = mailer
        self._mail_from = mail_from
        self._policy = policy
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Look for due emails now instead of at the next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        """Send until cancelled."""
        while True:
            self._wakeup.clear()
            try:
                claimed = await self.dispatch_due()
            except Exception:
                log.exception("email.dispatch_failed")
                claimed = 0
            if claimed:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll_interval)

    async def dispatch_due(self) -> int:
        """Attempt up to batch_size due emails, each in its own transaction; return how many."""
        attempted = 0
        while attempted < self._batch_size:
            # One email per transaction: a crash re-sends at most the email in flight.
            async with self._sessionmaker() as session, session.begin():
                emails = await EmailRepository(session).claim_due(utcnow(), limit=1)
                if not emails:
                    break
                await self._attempt(session, emails[0])
            attempted += 1
        return attempted

    async def _attempt(self, session: AsyncSession, email: Email) -> None:
        with structlog.contextvars.bound_contextvars(email_id=str(email.id), tenant_id=email.tenant_id):
            try:
                message = build_message(email, mail_from=self._mail_from, now=utcnow())
            except (ValueError, TypeError) as exc:
                # A message that cannot be built will not build next time either.
                service.record_failure(session, email, describe(exc), permanent=True, policy=self._policy, now=utcnow())
                return
            await failpoint("mail.before_send")
            try:
                await self._mailer.send(message)
            except Exception as exc:
                service.record_failure(
                    session, email, describe(exc), permanent=is_permanent(exc), policy=self._policy, now=utcnow()
                )
                return
            service.mark_sent(session, email, sent_at=utcnow())
