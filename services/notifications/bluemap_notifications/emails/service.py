"""Email use cases; the caller's transaction commits them."""

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.contacts.service import get_contact
from bluemap_notifications.deadlines.models import DeadlineReminder, TrackedRecord
from bluemap_notifications.emails.delivery import RetryPolicy, make_message_id
from bluemap_notifications.emails.models import Email, EmailAttachment, EmailStatus
from bluemap_notifications.emails.rendering import (
    Addressee,
    RecordFacts,
    RenderedEmail,
    render_deadline_reminder,
    render_document_published,
    render_document_rejected,
    render_email_change_notice,
    render_email_change_verification,
    render_explanation_pdf,
    render_explanation_published,
    render_explanation_rejected,
    render_record_lifecycle,
)
from bluemap_notifications.emails.repository import EmailRepository
from bluemap_shared.events.catalog import (
    DocumentPublished,
    DocumentRejected,
    EmailFailed,
    EmailSent,
    EnterpriseEmailChangeRequested,
    ExplanationPublished,
    ExplanationRejected,
    PdfRendered,
    RecordRetracted,
    RecordStatusChanged,
)
from bluemap_shared.events.envelope import Envelope, current_traceparent
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging import emit
from bluemap_shared.problems import NotFound

log = structlog.get_logger()

RECORD_PUBLISHED = "record-published"
EXPLANATION_PDF = "explanation-pdf"
EXPLANATION_REJECTED = "explanation-rejected"
EXPLANATION_PUBLISHED = "explanation-published"
DOCUMENT_REJECTED = "document-rejected"
DOCUMENT_PUBLISHED = "document-published"
DEADLINE_REMINDER = "deadline-reminder"
EMAIL_CHANGE_VERIFICATION = "email-change-verification"
EMAIL_CHANGE_NOTICE = "email-change-notice"
RECORD_LIFECYCLE = "record-lifecycle"


async def _add(session: AsyncSession, email: Email, attachments: Sequence[EmailAttachment] = ()) -> Email | None:
    """Insert the email (and its attachments) unless one exists for the same purpose and cause."""
    if not await EmailRepository(session).add_if_new(email):
        log.info("email.duplicate_skipped", purpose=email.purpose, cause_event_id=str(email.cause_event_id))
        return None
    for attachment in attachments:
        session.add(attachment)
    log.info(
        "email.queued",
        email_id=str(email.id),
        purpose=email.purpose,
        recipients=len(email.recipients),
        attachments=len(attachments),
    )
    return email


def new_email(
    tenant_id: str,
    purpose: str,
    cause_id: UUID,
    rendered: RenderedEmail,
    *,
    recipients: list[str],
    enterprise_id: UUID | None,
) -> Email:
    email_id = uuid7()
    return Email(
        id=email_id,
        tenant_id=tenant_id,
        purpose=purpose,
        cause_event_id=cause_id,
        enterprise_id=enterprise_id,
        recipients=recipients,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        message_id=make_message_id(email_id),
        traceparent=current_traceparent.get(),
    )


async def add_new(session: AsyncSession, emails: Sequence[Email]) -> list[Email]:
    """Insert the emails in one statement, but those queued already for their purpose and cause; the inserted."""
    inserted = await EmailRepository(session).add_many_if_new(emails)
    for email in emails:
        if email.id in inserted:
            log.info("email.queued", email_id=str(email.id), purpose=email.purpose, recipients=len(email.recipients))
        else:
            log.info("email.duplicate_skipped", purpose=email.purpose, cause_event_id=str(email.cause_event_id))
    return [email for email in emails if email.id in inserted]


async def queue_to_addresses(
    session: AsyncSession,
    *,
    tenant_id: str,
    purpose: str,
    cause_id: UUID,
    rendered: RenderedEmail,
    recipients: list[str],
    enterprise_id: UUID | None,
) -> Email | None:
    """Queue an email to given addresses; None when it is queued already for the purpose and cause."""
    email = new_email(tenant_id, purpose, cause_id, rendered, recipients=recipients, enterprise_id=enterprise_id)
    return await _add(session, email)


async def _queue_to_enterprise(
    session: AsyncSession,
    *,
    tenant_id: str,
    enterprise_id: UUID,
    purpose: str,
    cause_id: UUID,
    render: Callable[[Addressee], RenderedEmail],
    attachments: Callable[[UUID], list[EmailAttachment]] = lambda _email_id: [],
) -> Email | None:
    """Queue an email to the enterprise's registered addresses; None when it has none or it is queued already.

    An enterprise not heard of yet (its events travel on another topic) is addressed when the email is sent.
    """
    contact = await get_contact(session, tenant_id, enterprise_id)
    if contact is not None and not contact.registered_emails:
        log.info("email.no_recipient", purpose=purpose, enterprise_id=str(enterprise_id), cause_id=str(cause_id))
        return None
    to = Addressee(contact.name, contact.name_en) if contact else Addressee()
    recipients = list(contact.registered_emails) if contact else []
    email = new_email(tenant_id, purpose, cause_id, render(to), recipients=recipients, enterprise_id=enterprise_id)
    return await _add(session, email, attachments(email.id))


def record_facts(record: TrackedRecord | None) -> RecordFacts | None:
    """What an email tells of a tracked record, if it is known."""
    return None if record is None else _facts(record)


def _facts(record: TrackedRecord) -> RecordFacts:
    return RecordFacts(
        record_type=record.record_type,
        year=record.year,
        source_title=record.source_title,
        issuing_authority=record.issuing_authority,
        issued_on=record.issued_on,
        explanation_due_on=record.explanation_due_on,
    )


async def queue_explanation_pdf(
    session: AsyncSession, envelope: Envelope[PdfRendered], *, portal_base_url: str
) -> Email | None:
    """Queue the public explanation PDF for the enterprise to sign; one email per submission, however often
    the PDF is announced (redeliveries, a second rendering)."""
    event = envelope.data

    def attachment(email_id: UUID) -> list[EmailAttachment]:
        return [
            EmailAttachment(
                tenant_id=envelope.tenant_id,
                email_id=email_id,
                filename=event.filename,
                content_type="application/pdf",
                size=event.size,
                sha256=event.sha256,
                source_url=event.download_url,
                source_expires_at=event.download_expires_at,
            )
        ]

    return await _queue_to_enterprise(
        session,
        tenant_id=envelope.tenant_id,
        enterprise_id=event.enterprise_id,
        purpose=EXPLANATION_PDF,
        cause_id=event.submission_id,
        render=lambda to: render_explanation_pdf(event, to=to, portal_base_url=portal_base_url),
        attachments=attachment,
    )


async def queue_explanation_rejected(
    session: AsyncSession,
    envelope: Envelope[ExplanationRejected],
    record: TrackedRecord | None,
    *,
    portal_base_url: str,
) -> Email | None:
    """Queue the reviewer's comment on an explanation to the enterprise."""
    event = envelope.data
    return await _queue_to_enterprise(
        session,
        tenant_id=envelope.tenant_id,
        enterprise_id=event.enterprise_id,
        purpose=EXPLANATION_REJECTED,
        cause_id=envelope.id,
        render=lambda to: render_explanation_rejected(
            event, to=to, record=record_facts(record), portal_base_url=portal_base_url
        ),
    )


async def queue_explanation_published(
    session: AsyncSession,
    envelope: Envelope[ExplanationPublished],
    record: TrackedRecord | None,
    *,
    portal_base_url: str,
) -> Email | None:
    """Queue the confirmation that an explanation is public."""
    event = envelope.data
    return await _queue_to_enterprise(
        session,
        tenant_id=envelope.tenant_id,
        enterprise_id=event.enterprise_id,
        purpose=EXPLANATION_PUBLISHED,
        cause_id=envelope.id,
        render=lambda to: render_explanation_published(
            event, to=to, record=record_facts(record), portal_base_url=portal_base_url
        ),
    )


async def queue_record_lifecycle(
    session: AsyncSession,
    envelope: Envelope[RecordStatusChanged] | Envelope[RecordRetracted],
    record: TrackedRecord | None,
    *,
    portal_base_url: str,
) -> Email | None:
    """Queue the word that an operator resolved, restored or retracted a record, with the reason.

    Only an operator's decision says why; moves on the explanation's way (submitted, explained) are mailed
    by their own emails.
    """
    event = envelope.data
    if isinstance(event, RecordRetracted):
        change, reason, at = "retracted", event.reason, event.retracted_at
    elif event.status in ("resolved", "restored") and event.reason:
        change, reason, at = event.status, event.reason, event.changed_at
    else:
        return None
    return await _queue_to_enterprise(
        session,
        tenant_id=envelope.tenant_id,
        enterprise_id=event.enterprise_id,
        purpose=RECORD_LIFECYCLE,
        cause_id=envelope.id,
        render=lambda to: render_record_lifecycle(
            change,
            reason=reason,
            changed_at=at,
            enterprise_id=event.enterprise_id,
            to=to,
            record=record_facts(record),
            portal_base_url=portal_base_url,
        ),
    )


async def queue_document_rejected(
    session: AsyncSession, envelope: Envelope[DocumentRejected], *, portal_base_url: str
) -> Email | None:
    """Queue the reviewer's comment on a document; a document is decided once, so it is the cause."""
    event = envelope.data
    return await _queue_to_enterprise(
        session,
        tenant_id=envelope.tenant_id,
        enterprise_id=event.enterprise_id,
        purpose=DOCUMENT_REJECTED,
        cause_id=event.document_id,
        render=lambda to: render_document_rejected(event, to=to, portal_base_url=portal_base_url),
    )


async def queue_document_published(
    session: AsyncSession, envelope: Envelope[DocumentPublished], *, portal_base_url: str
) -> Email | None:
    """Queue the confirmation that a document is public."""
    event = envelope.data
    return await _queue_to_enterprise(
        session,
        tenant_id=envelope.tenant_id,
        enterprise_id=event.enterprise_id,
        purpose=DOCUMENT_PUBLISHED,
        cause_id=event.document_id,
        render=lambda to: render_document_published(event, to=to, portal_base_url=portal_base_url),
    )


async def queue_deadline_reminder(
    session: AsyncSession, reminder: DeadlineReminder, record: TrackedRecord, *, today: date, portal_base_url: str
) -> Email | None:
    """Queue one deadline reminder; the reminder is the cause, so it is emailed at most once."""
    facts = _facts(record)
    return await _queue_to_enterprise(
        session,
        tenant_id=reminder.tenant_id,
        enterprise_id=reminder.enterprise_id,
        purpose=DEADLINE_REMINDER,
        cause_id=reminder.id,
        render=lambda to: render_deadline_reminder(
            record=facts,
            due_on=reminder.due_on,
            today=today,
            to=to,
            enterprise_id=reminder.enterprise_id,
            portal_base_url=portal_base_url,
        ),
    )


async def queue_email_change(
    session: AsyncSession, envelope: Envelope[EnterpriseEmailChangeRequested], *, portal_base_url: str
) -> list[Email]:
    """Queue the confirmation link to the new address, and a notice to the one it replaces; once per change.

    Addressed to the addresses in the event, never to the enterprise's contacts: the new one is not registered
    until it confirms.
    """
    event = envelope.data
    queued = []
    verification = await queue_to_addresses(
        session,
        tenant_id=envelope.tenant_id,
        purpose=EMAIL_CHANGE_VERIFICATION,
        cause_id=event.change_id,
        rendered=render_email_change_verification(event, portal_base_url=portal_base_url),
        recipients=[str(event.new_email)],
        enterprise_id=event.enterprise_id,
    )
    queued.append(verification)
    if event.replaces_email and str(event.replaces_email).lower() != str(event.new_email).lower():
        notice = await queue_to_addresses(
            session,
            tenant_id=envelope.tenant_id,
            purpose=EMAIL_CHANGE_NOTICE,
            cause_id=event.change_id,
            rendered=render_email_change_notice(event, portal_base_url=portal_base_url),
            recipients=[str(event.replaces_email)],
            enterprise_id=event.enterprise_id,
        )
        queued.append(notice)
    return [email for email in queued if email is not None]


async def address(session: AsyncSession, email: Email) -> bool:
    """Fill in the recipients of an email queued before its enterprise's addresses were known; False if still none."""
    if email.recipients:
        return True
    if email.enterprise_id is None:
        return False
    contact = await get_contact(session, email.tenant_id, email.enterprise_id)
    if contact is None or not contact.registered_emails:
        return False
    email.recipients = list(contact.registered_emails)
    session.add(email)
    return True


async def attachments_of(session: AsyncSession, email: Email) -> Sequence[EmailAttachment]:
    return await EmailRepository(session).attachments_of(email.tenant_id, email.id)


def forget_download_links(session: AsyncSession, attachments: Sequence[EmailAttachment]) -> None:
    """Drop the capability URLs of a settled email: nothing will download them again."""
    for attachment in attachments:
        attachment.source_url = None
        session.add(attachment)


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


async def get_email(session: AsyncSession, tenant_id: str, email_id: UUID) -> tuple[Email, Sequence[EmailAttachment]]:
    """One email of the tenant with its attachments' metadata."""
    email = await EmailRepository(session).get(tenant_id, email_id)
    if email is None:
        raise NotFound("No such email.")
    return email, await EmailRepository(session).attachments_of(tenant_id, email_id)
