"""Every table of the notifications database (what its migrations manage)."""

from bluemap_notifications.emails.models import Email
from bluemap_shared.messaging.models import MESSAGING_TABLES

TABLES = (
    Email.__table__,  # type: ignore[attr-defined]
    *MESSAGING_TABLES,
)
