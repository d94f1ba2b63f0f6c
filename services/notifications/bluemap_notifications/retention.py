"""What notifications keeps, and for how long: delivered emails, closed digests, old chat (settings in days)."""

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, select

from bluemap_notifications.chat.models import ChatMessage, Conversation
from bluemap_notifications.digests.models import DigestItem, RecordDigest
from bluemap_notifications.emails.models import Email, EmailAttachment, EmailStatus
from bluemap_notifications.settings import NotificationsSettings
from bluemap_shared.retention import RetentionPolicy, older_than

EMAILS = Email.__table__  # type: ignore[attr-defined]
ATTACHMENTS = EmailAttachment.__table__  # type: ignore[attr-defined]
DIGESTS = RecordDigest.__table__  # type: ignore[attr-defined]
DIGEST_ITEMS = DigestItem.__table__  # type: ignore[attr-defined]
MESSAGES = ChatMessage.__table__  # type: ignore[attr-defined]
CONVERSATIONS = Conversation.__table__  # type: ignore[attr-defined]


def _delivered_before(cutoff: datetime) -> ColumnElement[bool]:
    """Emails sent or given up on before cutoff; pending ones are kept whatever their age."""
    return and_(EMAILS.c.status.in_([EmailStatus.SENT, EmailStatus.FAILED]), EMAILS.c.created_at < cutoff)


def _attachments_of_expired_emails(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [ATTACHMENTS.c.email_id.in_(select(EMAILS.c.id).where(_delivered_before(cutoff)))]


def _items_of_expired_digests(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [DIGEST_ITEMS.c.digest_id.in_(select(DIGESTS.c.id).where(DIGESTS.c.closed_at < cutoff))]


def _emptied_conversations(cutoff: datetime) -> list[ColumnElement[bool]]:
    """Conversations quiet since cutoff whose messages retention took (messages go first)."""
    last = CONVERSATIONS.c.last_message_at
    quiet = (last < cutoff) | (last.is_(None) & (CONVERSATIONS.c.created_at < cutoff))
    return [quiet, ~exists().where(MESSAGES.c.conversation_id == CONVERSATIONS.c.id)]


def retention_policies(settings: NotificationsSettings) -> list[RetentionPolicy]:
    """In dependency order: rows that point at others go before what they point at."""
    policies = []
    if settings.retention_emails_days is not None:
        keep = timedelta(days=settings.retention_emails_days)
        policies += [
            RetentionPolicy("email_attachments", ATTACHMENTS, keep, _attachments_of_expired_emails),
            RetentionPolicy("emails", EMAILS, keep, lambda cutoff: [_delivered_before(cutoff)]),
            RetentionPolicy("digest_items", DIGEST_ITEMS, keep, _items_of_expired_digests),
            RetentionPolicy("digests", DIGESTS, keep, older_than(DIGESTS, "closed_at")),
        ]
    if settings.retention_chat_days is not None:
        keep = timedelta(days=settings.retention_chat_days)
        policies += [
            RetentionPolicy("chat_messages", MESSAGES, keep, older_than(MESSAGES, "created_at")),
            RetentionPolicy("chat_conversations", CONVERSATIONS, keep, _emptied_conversations),
        ]
    return policies
