"""Every table of the explanations database (what its migrations manage)."""

from bluemap_explanations.commitments.models import CommitmentResponse, CommitmentText
from bluemap_explanations.explanations.models import Explanation, KnownDocument
from bluemap_explanations.records.models import ExplainableRecord, KnownEnterprise
from bluemap_explanations.review.models import ReviewDecision
from bluemap_explanations.submissions.models import Submission, SubmissionItem
from bluemap_shared.messaging.models import MESSAGING_TABLES
from bluemap_shared.revocation import RevokedSession
from bluemap_shared.tenants import TENANT_TABLES

TABLES = (
    ExplainableRecord.__table__,  # type: ignore[attr-defined]
    KnownEnterprise.__table__,  # type: ignore[attr-defined]
    Explanation.__table__,  # type: ignore[attr-defined]
    KnownDocument.__table__,  # type: ignore[attr-defined]
    CommitmentText.__table__,  # type: ignore[attr-defined]
    CommitmentResponse.__table__,  # type: ignore[attr-defined]
    Submission.__table__,  # type: ignore[attr-defined]
    SubmissionItem.__table__,  # type: ignore[attr-defined]
    ReviewDecision.__table__,  # type: ignore[attr-defined]
    RevokedSession.__table__,  # type: ignore[attr-defined]
    *MESSAGING_TABLES,
    *TENANT_TABLES,
)
