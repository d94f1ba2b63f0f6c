"""The loop that sends pending emails over SMTP and records each outcome."""

import asyncio
import contextlib
from email.message import EmailMessage
from typing import Protocol

import structlog
from opentelemetry.sdk.trace import TracerProvider
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.emails import service
from bluemap_notifications.emails.attachments import AttachmentFetcher
from bluemap_notifications.emails.delivery import (
    AttachmentContent,
    RetryPolicy,
    Undeliverable,
    build_message,
    describe,
    is_permanent,
)
from bluemap_notifications.emails.models import Email, EmailAttachment, EmailStatus
from bluemap_notifications.emails.repository import EmailRepository
from bluemap_shared.db import SessionMaker, utcnow
from bluemap_shared.failpoints import failpoint
from bluemap_shared.tracing import continued, untraced

log = structlog.get_logger()


class Mailer(Protocol):
    """What the dispatcher sends through (bluemap_shared.mail.SmtpMailer in production)."""

    async def send(self, message: EmailMessage) -> None: ...


class EmailDispatcher:
    """Claims due emails, sends them, and marks them sent in the claiming transaction.

    The row stays locked (FOR UPDATE SKIP LOCKED) while it is sent, so concurrent dispatchers
    never send the same email; a crash before the commit leaves it pending and it is sent
    again (delivery is at least once, with the same Message-ID on every attempt). Attachments
    are downloaded for each attempt and never stored; a failed download is retried like SMTP.
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
        concurrency: int = 1,
        fetcher: AttachmentFetcher | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        self._sessionmaker = sessionmaker
        # Emails in flight at once: while one waits for its attachment or the SMTP server, the
        # next is under way (a burst of PDFs otherwise queues behind one email at a time).
        self._concurrency = concurrency
        self._mailer = mailer
        self._fetcher = fetcher or AttachmentFetcher()
        self._mail_from = mail_from
        self._policy = policy
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._wakeup = asyncio.Event()
        self._tracer_provider = tracer_provider or untraced()

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
        """Attempt up to batch_size due emails, `concurrency` at a time, each in its own transaction; how many."""
        budget = iter(range(self._batch_size))

        async def one_at_a_time() -> int:
            attempted = 0
            for _ in budget:  # shared: the workers together attempt at most batch_size
                # One email per transaction: a crash re-sends at most the email in flight.
                async with self._sessionmaker() as session, session.begin():
                    emails = await EmailRepository(session).claim_due(utcnow(), limit=1)
                    if not emails:
                        break
                    await self._attempt(session, emails[0])
                attempted += 1
            return attempted

        if self._concurrency == 1:
            return await one_at_a_time()
        return sum(await asyncio.gather(*(one_at_a_time() for _ in range(self._concurrency))))

    async def _attempt(self, session: AsyncSession, email: Email) -> None:
        with (
            structlog.contextvars.bound_contextvars(email_id=str(email.id), tenant_id=email.tenant_id),
            continued(
                self._tracer_provider, "send email", email.traceparent, attributes={"email.purpose": email.purpose}
            ),
        ):
            attachments = list(await service.attachments_of(session, email))
            try:
                contents = await self._prepare(session, email, attachments)
                message = build_message(email, mail_from=self._mail_from, now=utcnow(), attachments=contents)
            except Undeliverable as exc:
                self._failed(session, email, attachments, exc.reason, permanent=exc.permanent)
                return
            except (ValueError, TypeError) as exc:
                # A message that cannot be built will not build next time either.
                self._failed(session, email, attachments, describe(exc), permanent=True)
                return
            await failpoint("mail.before_send")
            try:
                await self._mailer.send(message)
            except Exception as exc:
                self._failed(session, email, attachments, describe(exc), permanent=is_permanent(exc))
                return
            service.mark_sent(session, email, sent_at=utcnow())
            service.forget_download_links(session, attachments)

    async def _prepare(
        self, session: AsyncSession, email: Email, attachments: list[EmailAttachment]
    ) -> list[AttachmentContent]:
        """Address the email if it waited for its enterprise's addresses, and download its attachments."""
        if not await service.address(session, email):
            raise Undeliverable("no registered email address is known for the enterprise yet")
        return [await self._fetcher.fetch(attachment, now=utcnow()) for attachment in attachments]

    def _failed(
        self, session: AsyncSession, email: Email, attachments: list[EmailAttachment], error: str, *, permanent: bool
    ) -> None:
        service.record_failure(session, email, error, permanent=permanent, policy=self._policy, now=utcnow())
        if email.status == EmailStatus.FAILED:
            service.forget_download_links(session, attachments)
