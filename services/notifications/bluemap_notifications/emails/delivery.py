"""Pure delivery rules: the message on the wire, retry delays, which SMTP errors are final."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from uuid import UUID

import aiosmtplib

from bluemap_notifications.emails.models import Email

MAX_BACKOFF_SECONDS = 300.0


class Undeliverable(Exception):
    """An email cannot be put together now (no address yet, an attachment not downloadable)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class AttachmentContent:
    """An attachment's bytes, fetched for one attempt and dropped after it."""

    filename: str
    content_type: str
    data: bytes


def make_message_id(email_id: UUID) -> str:
    """The Message-ID of every attempt of one email, so a resend after a crash can be recognised."""
    return f"<{email_id}@bluemap>"


def build_message(
    email: Email, *, mail_from: str, now: datetime, attachments: Sequence[AttachmentContent] = ()
) -> EmailMessage:
    """The RFC 5322 message of an email row: plain text, an HTML alternative when there is one, attachments."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = ", ".join(email.recipients)
    message["Subject"] = email.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = email.message_id
    # RFC 3834: tells auto-responders not to answer a machine.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.body_text)
    if email.body_html:
        message.add_alternative(email.body_html, subtype="html")
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return message


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a transiently failing email is retried."""

    max_attempts: int
    backoff_seconds: float
    max_backoff_seconds: float = MAX_BACKOFF_SECONDS

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the given number of failed attempts (exponential, capped)."""
        exponent = min(max(attempts, 1) - 1, 32)  # keeps the float finite for absurd attempt counts
        return float(min(self.max_backoff_seconds, self.backoff_seconds * 2**exponent))

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


def is_permanent(exc: BaseException) -> bool:
    """True when the server rejected this message for good (5xx about its recipients or content).

    5xx answers to the connection, greeting, login or sender say nothing about this message but
    about the configuration, which an operator fixes; those are retried like network errors.
    """
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(r.code >= 500 for r in exc.recipients)
    if isinstance(
        exc,
        aiosmtplib.SMTPAuthenticationError
        | aiosmtplib.SMTPConnectResponseError
        | aiosmtplib.SMTPHeloError
        | aiosmtplib.SMTPSenderRefused,
    ):
        return False
    return isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code >= 500


def describe(exc: BaseException) -> str:
    """A short, storable description of a send failure."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        return f"SMTPRecipientsRefused: {detail}"[:2000]
    return f"{type(exc).__name__}: {exc}"[:2000]
