"""Email use cases; the caller's transaction commits them."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.emails.delivery import RetryPolicy, make_message_id
from bluemap_notifications.emails.models import Email, EmailStatus
from bluemap_notifications.emails.rendering import render_record_published
from bluemap_notifications.emails.repository import EmailRepository
from bluemap_shared.events.catalog import EmailFailed, EmailSent, RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging import emit
from bluemap_shared.problems import NotFound

log = structlog.get_logger()

RECORD_PUBLISHED = "record-published"


async def queue_record_published(
    session: AsyncSession, envelope: Envelope[RecordPublished], *, portal_base_url: str
) -> Email | None:
    """Queue the email telling an enterprise about its new public record; None when none is due."""
    event = envelope.data
    # The same address listed twice must not receive the message twice.
    recipients = list(dict.fromkeys(str(address) for address in event.enterprise.registered_emails))
    if not recipients:
        log.info(
            "email.no_recipient",
            purpose=RECORD_PUBLISHED,
            enterprise_id=str(event.enterprise.enterprise_id),
            record_id=str(event.record_id),
        )
        return None
    rendered = render_record_published(event, portal_base_url=portal_base_url)
    email_id = uuid7()
    email = Email(
        id=email_id,
        tenant_id=envelope.tenant_id,
        purpose=RECORD_PUBLISHED,
        cause_event_id=envelope.id,
        recipients=recipients,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        message_id=make_message_id(email_id),
    )
    if not await EmailRepository(session).add_if_new(email):
        log.info("email.duplicate_skipped", purpose=RECORD_PUBLISHED, cause_event_id=str(envelope.id))
        return None
    log.info("email.queued", email_id=str(email.id), purpose=RECORD_PUBLISHED, recipients=len(recipients))
    return email


def mark_sent(session: AsyncSession, email: Email, *, sent_at: datetime) -> None:
    """The server accepted the email: record it and announce EmailSent."""
    email.attempts += 1
    email.status = EmailStatus.SENT
    email.sent_at = sent_at
    session.add(email)
    emit(
        session,
        EmailSent(
            email_id=email.id,
            purpose=email.purpose,
            recipients=list(email.recipients),
            cause_event_id=email.cause_event_id,
            sent_at=sent_at,
        ),
        tenant_id=email.tenant_id,
    )
    log.info("email.sent", email_id=str(email.id), attempts=email.attempts)


def record_failure(
    session: AsyncSession, email: Email, error: str, *, permanent: bool, policy: RetryPolicy, now: datetime
) -> None:
    """An attempt failed: schedule the next one, or give up and announce EmailFailed."""
    email.attempts += 1
    email.last_error = error
    session.add(email)
    if permanent or policy.gives_up(email.attempts):
        outcome: Literal["rejected", "gave-up"] = "rejected" if permanent else "gave-up"
        email.status = EmailStatus.FAILED
        emit(
            session,
            EmailFailed(
                email_id=email.id,
                purpose=email.purpose,
                recipients=list(email.recipients),
                cause_event_id=email.cause_event_id,
                reason=error,
                outcome=outcome,
                failed_at=now,
            ),
            tenant_id=email.tenant_id,
        )
        log.warning("email.failed", email_id=str(email.id), attempts=email.attempts, outcome=outcome, error=error)
        return
    delay = policy.delay(email.attempts)
    email.next_attempt_at = now + timedelta(seconds=delay)
    log.info("email.retry_scheduled", email_id=str(email.id), attempts=email.attempts, delay=delay, error=error)


async def list_emails(
    session: AsyncSession,
    tenant_id: str,
    *,
    status: EmailStatus | None,
    purpose: str | None,
    before: UUID | None,
    limit: int,
) -> Sequence[Email]:
    return await EmailRepository(session).list(
        tenant_id, status=status.value if status else None, purpose=purpose, before=before, limit=limit
    )


async def get_email(session: AsyncSession, tenant_id: str, email_id: UUID) -> Email:
    email = await EmailRepository(session).get(tenant_id, email_id)
    if email is None:
        raise NotFound("No such email.")
    return email
