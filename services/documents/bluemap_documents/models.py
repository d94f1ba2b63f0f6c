"""Every table of the documents database (what its migrations manage)."""

from bluemap_documents.directory.models import KnownEnterprise, KnownRecord
from bluemap_documents.documents.models import Document
from bluemap_documents.review.models import ReviewDecision
from bluemap_documents.submissions.models import Submission
from bluemap_shared.messaging.models import MESSAGING_TABLES
from bluemap_shared.revocation import RevokedSession
from bluemap_shared.tenants import TENANT_TABLES

TABLES = (
    Document.__table__,  # type: ignore[attr-defined]
    KnownEnterprise.__table__,  # type: ignore[attr-defined]
    KnownRecord.__table__,  # type: ignore[attr-defined]
    Submission.__table__,  # type: ignore[attr-defined]
    ReviewDecision.__table__,  # type: ignore[attr-defined]
    RevokedSession.__table__,  # type: ignore[attr-defined]
    *MESSAGING_TABLES,
    *TENANT_TABLES,
)
