"""Every table of the documents database (what its migrations manage)."""

from bluemap_documents.documents.models import Document
from bluemap_shared.messaging.models import MESSAGING_TABLES

TABLES = (
    Document.__table__,  # type: ignore[attr-defined]
    *MESSAGING_TABLES,
)
