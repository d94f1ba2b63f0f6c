"""Review of supporting documents: the queue, approve (DocumentPublished) and reject (DocumentRejected).

Signed scans are listed here but decided by explanations' whole-submission review.
"""

from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.directory.repository import DirectoryRepository
from bluemap_documents.documents import capabilities
from bluemap_documents.documents.categories import CATEGORIES
from bluemap_documents.documents.models import REVIEWED_KINDS, Document, DocumentKind, DocumentStatus
from bluemap_documents.documents.repository import DocumentRepository
from bluemap_documents.review.announcements import announce_published, announce_rejected
from bluemap_documents.review.models import Decision, ReviewDecision
from bluemap_documents.review.repository import ReviewRepository
from bluemap_documents.review.schemas import DecisionPublic, ReviewItemPublic
from bluemap_documents.settings import DocumentsSettings
from bluemap_documents.submissions.models import Submission
from bluemap_documents.submissions.repository import SubmissionRepository
from bluemap_shared.auth import Principal
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import ScanWarning
from bluemap_shared.problems import Conflict, InvalidInput, NotFound

log = structlog.get_logger()


async def reviewable(session: AsyncSession, tenant_id: str, document_id: UUID, *, for_update: bool = False) -> Document:
    """A signed scan or supporting document of the tenant; 404 for anything else."""
    document = await DocumentRepository(session).get(tenant_id, document_id, for_update=for_update)
    if document is None or document.kind not in REVIEWED_KINDS:
        raise NotFound("No such document to review.")
    return document


async def decide(
    session: AsyncSession, principal: Principal, document_id: UUID, decision: Decision, comment: str | None
) -> tuple[Document, ReviewDecision]:
    """Publish or reject a pending document, once; the enterprise may upload again after a rejection."""
    comment = (comment or "").strip() or None
    if decision == Decision.REJECTED and comment is None:
        raise InvalidInput("Say why the document is rejected: a comment is required.", reason="comment-required")
    document = await reviewable(session, principal.tenant_id, document_id, for_update=True)
    if document.kind == DocumentKind.SIGNED_EXPLANATION:
        raise Conflict(
            "A signed scan is decided with its submission's explanations, in one review "
            "(POST /api/explanations/v1/submissions/{id}/review).",
            reason="decided-with-submission",
        )
    if document.status != DocumentStatus.PENDING:
        reason = "superseded" if document.status == DocumentStatus.SUPERSEDED else "already-decided"
        raise Conflict(
            f"The document is {document.status}, not pending review.", reason=reason, document_status=document.status
        )
    now = utcnow()
    document.status = DocumentStatus.PUBLISHED if decision == Decision.APPROVED else DocumentStatus.REJECTED
    document.decided_at = now
    session.add(document)
    review = ReviewDecision(
        tenant_id=document.tenant_id,
        document_id=document.id,
        enterprise_id=document.enterprise_id,
        submission_id=document.submission_id,
        decision=decision,
        comment=comment,
        reviewed_by=principal.subject,
        reviewed_at=now,
    )
    ReviewRepository(session).add(review)
    try:
        await session.flush()
    except IntegrityError:
        # Two reviewers at once: the unique index lets one decision in.
        raise Conflict("The document was decided meanwhile.", reason="already-decided") from None
    if decision == Decision.APPROVED:
        announce_published(session, document, reviewed_by=principal.subject, comment=comment, at=now)
    else:
        assert comment is not None
        announce_rejected(session, document, reviewed_by=principal.subject, comment=comment, at=now)
    log.info("review.decided", document_id=str(document.id), decision=str(decision))
    return document, review


async def review_items(
    session: AsyncSession, settings: DocumentsSettings, documents: Sequence[Document]
) -> list[ReviewItemPublic]:
    """Queue rows with names, numbers, decisions and short-lived preview links."""
    if not documents:
        return []
    tenant_id = documents[0].tenant_id
    enterprises = await DirectoryRepository(session).enterprises(
        tenant_id, {d.enterprise_id for d in documents if d.enterprise_id is not None}
    )
    decisions = await ReviewRepository(session).for_documents(tenant_id, [d.id for d in documents])
    submissions: dict[UUID, Submission] = {}
    for submission_id in {d.submission_id for d in documents if d.submission_id is not None}:
        found = await SubmissionRepository(session).get(tenant_id, submission_id)
        if found is not None:
            submissions[submission_id] = found
    expires_at = utcnow() + timedelta(seconds=settings.download_url_ttl_seconds)
    key = settings.signing_key

    def link(document_id: UUID, disposition: capabilities.Disposition) -> str:
        return capabilities.content_url(settings.api_url, key, document_id, expires_at, disposition)

    items = []
    for document in documents:
        enterprise = enterprises.get(document.enterprise_id) if document.enterprise_id else None
        category = CATEGORIES.get(document.category) if document.category else None
        submission = submissions.get(document.submission_id) if document.submission_id else None
        decision = decisions.get(document.id)
        items.append(
            ReviewItemPublic(
                id=document.id,
                enterprise_id=document.enterprise_id,
                enterprise_name=enterprise.name if enterprise else None,
                kind=document.kind,
                category=document.category,
                category_label_zh=category.label_zh if category else None,
                category_label_en=category.label_en if category else None,
                record_ids=[UUID(r) for r in document.record_ids],
                submission_id=document.submission_id,
                document_number=submission.document_number if submission else None,
                filename=document.filename,
                content_type=document.content_type,
                size=document.size,
                pages=document.pages,
                scan_warnings=[ScanWarning.model_validate(w) for w in document.scan_warnings or []],
                sha256=document.sha256,
                uploaded_by=document.uploaded_by,
                created_at=document.created_at,
                status=document.status,
                preview_url=link(document.id, "inline"),
                download_url=link(document.id, "attachment"),
                rendered_preview_url=link(submission.document_id, "inline")
                if submission is not None and submission.document_id is not None
                else None,
                decision=DecisionPublic.model_validate(decision) if decision else None,
            )
        )
    return items
