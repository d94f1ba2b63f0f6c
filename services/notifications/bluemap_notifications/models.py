"""Every table of the notifications database (what its migrations manage)."""

from bluemap_notifications.chat.models import ChatMessage, Conversation
from bluemap_notifications.contacts.models import EnterpriseContact
from bluemap_notifications.deadlines.models import DeadlineReminder, TrackedRecord
from bluemap_notifications.digests.models import DigestItem, RecordDigest
from bluemap_notifications.emails.models import Email, EmailAttachment
from bluemap_notifications.follows.models import Follow
from bluemap_notifications.webhooks.models import WEBHOOK_TABLES
from bluemap_shared.messaging.models import MESSAGING_TABLES
from bluemap_shared.revocation import RevokedSession
from bluemap_shared.tenants import TENANT_TABLES

TABLES = (
    Email.__table__,  # type: ignore[attr-defined]
    EmailAttachment.__table__,  # type: ignore[attr-defined]
    EnterpriseContact.__table__,  # type: ignore[attr-defined]
    TrackedRecord.__table__,  # type: ignore[attr-defined]
    DeadlineReminder.__table__,  # type: ignore[attr-defined]
    Follow.__table__,  # type: ignore[attr-defined]
    Conversation.__table__,  # type: ignore[attr-defined]
    ChatMessage.__table__,  # type: ignore[attr-defined]
    RecordDigest.__table__,  # type: ignore[attr-defined]
    DigestItem.__table__,  # type: ignore[attr-defined]
    *WEBHOOK_TABLES,
    RevokedSession.__table__,  # type: ignore[attr-defined]
    *MESSAGING_TABLES,
    *TENANT_TABLES,
)
