"""Submission use cases: receive a Send, render its PDF, accept the signed scan, answer verifications."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.directory.service import project_enterprise, project_submitted_records
from bluemap_documents.documents import capabilities
from bluemap_documents.documents.models import Document, DocumentKind, DocumentStatus
from bluemap_documents.documents.pdf_checks import PdfFacts
from bluemap_documents.documents.repository import DocumentRepository
from bluemap_documents.documents.service import PDF, record_document, store_document
from bluemap_documents.documents.uploads import ReceivedUpload
from bluemap_documents.review.announcements import announce_published, announce_rejected
from bluemap_documents.review.models import Decision, ReviewDecision
from bluemap_documents.review.repository import ReviewRepository
from bluemap_documents.settings import DocumentsSettings
from bluemap_documents.submissions.canonical import (
    VERIFICATION_CODE,
    canonical_content,
    document_number,
    verification_code,
)
from bluemap_documents.submissions.models import RenderState, ReviewOutcome, Submission
from bluemap_documents.submissions.rendering import PdfRenderer, PublicExplanation, RenderedPdf
from bluemap_documents.submissions.repository import SubmissionRepository
from bluemap_documents.submissions.schemas import VerificationPublic
from bluemap_shared.auth import Principal, may_read_enterprise
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import (
    ExplanationSubmitted,
    PdfRendered,
    PdfSigned,
    ScanWarning,
    SubmissionReviewed,
    TenantProfile,
)
from bluemap_shared.events.envelope import current_traceparent
from bluemap_shared.messaging import emit
from bluemap_shared.problems import Conflict, InvalidInput, NotFound
from bluemap_shared.storage import ObjectStorage

log = structlog.get_logger()

RENDERER = "bluemap-documents"
_FILENAME_PREFIX = {"zh": "公开说明", "en": "public-explanation"}


async def receive_submission(session: AsyncSession, tenant_id: str, event: ExplanationSubmitted) -> bool:
    """Remember a Send so the render loop makes its PDF; False when the submission is already known."""
    await project_enterprise(session, tenant_id, event.enterprise)
    await project_submitted_records(session, tenant_id, event.enterprise.enterprise_id, event.explanations)
    inserted = await SubmissionRepository(session).insert_if_new(
        {
            "id": event.submission_id,
            "tenant_id": tenant_id,
            "enterprise_id": event.enterprise.enterprise_id,
            "enterprise_name": event.enterprise.name,
            "enterprise_name_en": event.enterprise.name_en,
            "language": event.language,
            "record_ids": [str(item.record_id) for item in event.explanations],
            "source_titles": [item.source_title for item in event.explanations],
            "event": event.model_dump(mode="json"),
            "submitted_by": event.submitted_by,
            "submitted_at": event.submitted_at,
            "render_state": RenderState.PENDING,
            "render_attempts": 0,
            "next_render_at": utcnow(),
            "updated_at": utcnow(),
            "traceparent": current_traceparent.get(),
        }
    )
    if not inserted:
        # A replay under a new event id, or (a bug upstream) another tenant's id: render nothing new.
        log.info("submissions.already_known", submission_id=str(event.submission_id), tenant_id=tenant_id)
    return inserted


@dataclass(frozen=True)
class RenderedSubmission:
    """A submission's PDF, made but not yet recorded."""

    document_number: str
    verification_code: str
    language: Literal["zh", "en"]
    filename: str
    pdf: RenderedPdf


async def render_pdf(
    renderer: PdfRenderer, settings: DocumentsSettings, submission: Submission, tenant: TenantProfile | None = None
) -> RenderedSubmission:
    """Number, verification code and PDF of a submission, headed with its tenant's name (the platform's for a
    tenant not known here); touches neither database nor storage."""
    event = ExplanationSubmitted.model_validate(submission.event)
    number = document_number(
        submission.tenant_id, submission.id, submission.submitted_at.astimezone(settings.timezone).date()
    )
    code = verification_code(canonical_content(event, number))
    pdf = await renderer.render(
        event,
        PublicExplanation(
            tenant_id=submission.tenant_id,
            document_number=number,
            verification_code=code,
            verify_url=f"{settings.public_base_url.rstrip('/')}/verify/{code}",
            timezone=settings.timezone,
            site_name=(tenant.name_zh if event.language == "zh" else tenant.name_en) if tenant else None,
            brand_colour=tenant.brand_colour if tenant else None,
        ),
    )
    return RenderedSubmission(
        document_number=number,
        verification_code=code,
        language=event.language,
        filename=f"{_FILENAME_PREFIX[event.language]}-{number}.pdf",
        pdf=pdf,
    )


async def record_rendering(
    session: AsyncSession,
    settings: DocumentsSettings,
    tenant_id: str,
    submission_id: UUID,
    rendered: RenderedSubmission,
    sha256_hex: str,
    key: str,
) -> Document | None:
    """Record the stored PDF and announce it (PdfRendered); None when another worker recorded one first."""
    submission = await SubmissionRepository(session).get(tenant_id, submission_id, for_update=True)
    if submission is None or submission.render_state != RenderState.PENDING:
        log.info("submissions.render_discarded", submission_id=str(submission_id))
        return None
    document = await record_document(
        session,
        Document(
            tenant_id=submission.tenant_id,
            enterprise_id=submission.enterprise_id,
            kind=DocumentKind.PUBLIC_EXPLANATION,
            filename=rendered.filename,
            content_type=PDF,
            size=len(rendered.pdf.data),
            sha256=sha256_hex,
            storage_key=key,
            uploaded_by=RENDERER,
            status=DocumentStatus.RENDERED,
            record_ids=list(submission.record_ids),
            submission_id=submission.id,
            pages=rendered.pdf.pages,
        ),
    )
    now = utcnow()
    submission.render_state = RenderState.RENDERED
    submission.document_id = document.id
    submission.document_number = rendered.document_number
    submission.verification_code = rendered.verification_code
    submission.rendered_at = now
    submission.updated_at = now
    submission.last_error = None
    session.add(submission)
    await session.flush()
    expires_at = now + timedelta(seconds=settings.capability_url_ttl_seconds)
    emit(
        session,
        PdfRendered(
            document_id=document.id,
            submission_id=submission.id,
            enterprise_id=submission.enterprise_id,
            language=rendered.language,
            document_number=rendered.document_number,
            verification_code=rendered.verification_code,
            filename=document.filename,
            size=document.size,
            sha256=document.sha256,
            download_url=capabilities.content_url(settings.api_url, settings.signing_key, document.id, expires_at),
            download_expires_at=expires_at,
            rendered_at=now,
        ),
        tenant_id=submission.tenant_id,
    )
    log.info("submissions.rendered", submission_id=str(submission.id), pages=rendered.pdf.pages)
    return document


async def submission_for(
    session: AsyncSession, principal: Principal, submission_id: UUID, *, for_update: bool = False
) -> Submission:
    """The submission if the caller may see it; 404 alike for unknown, other tenants' and other enterprises'."""
    submission = await SubmissionRepository(session).get(principal.tenant_id, submission_id, for_update=for_update)
    if submission is None or not may_read_enterprise(principal, submission.enterprise_id):
        raise NotFound("No such submission.")
    return submission


def ensure_accepts_scan(submission: Submission) -> None:
    """409 unless the submission's PDF exists and its review has not ended (published or returned)."""
    if submission.render_state != RenderState.RENDERED:
        raise Conflict(
            "The public explanation PDF of this submission has not been rendered yet; "
            "send the explanation first, then upload its signed scan.",
            reason="not-rendered",
        )
    if submission.review_outcome == ReviewOutcome.PUBLISHED:
        raise Conflict("The signed public explanation of this submission is already published.", reason="published")
    if submission.review_outcome == ReviewOutcome.RETURNED:
        raise Conflict(
            "This submission was returned by the reviewer; send the explanations again and sign the new PDF.",
            reason="returned",
        )


async def store_signed_scan(
    session: AsyncSession,
    storage: ObjectStorage,
    principal: Principal,
    submission_id: UUID,
    upload: ReceivedUpload,
    pdf: PdfFacts,
    scan_warnings: list[ScanWarning] | None = None,
) -> Document:
    """Accept the signed scan (PdfSigned); a scan still waiting for review is replaced by it.

    scan_warnings: the soft checks it failed against the rendered PDF, kept for the reviewer.
    """
    # Locked and checked again: a reviewer may have decided while the file was arriving.
    submission = await submission_for(session, principal, submission_id, for_update=True)
    ensure_accepts_scan(submission)
    replaced = await DocumentRepository(session).supersede_pending_scans(submission.tenant_id, submission.id)
    document = await store_document(
        session,
        storage,
        submission.tenant_id,
        submission.enterprise_id,
        DocumentKind.SIGNED_EXPLANATION,
        upload,
        uploaded_by=principal.subject,
        status=DocumentStatus.PENDING,
        record_ids=[UUID(r) for r in submission.record_ids],
        submission_id=submission.id,
        pdf=pdf,
    )
    if scan_warnings:
        document.scan_warnings = [warning.model_dump(mode="json") for warning in scan_warnings]
        session.add(document)
        await session.flush()
    emit(
        session,
        PdfSigned(
            document_id=document.id,
            submission_id=submission.id,
            enterprise_id=submission.enterprise_id,
            record_ids=[UUID(r) for r in submission.record_ids],
            filename=document.filename,
            size=document.size,
            sha256=document.sha256,
            pages=pdf.pages,
            uploaded_by=principal.subject,
            signed_at=document.created_at,
            scan_warnings=scan_warnings or None,
        ),
        tenant_id=submission.tenant_id,
    )
    log.info("submissions.scan_accepted", submission_id=str(submission.id), replaced=replaced)
    return document


async def verify(session: AsyncSession, code: str, *, timezone: ZoneInfo) -> VerificationPublic:
    """The rendered public explanation a verification code belongs to; 422 for a malformed code, else 404."""
    normalised = code.strip().lower()
    if not VERIFICATION_CODE.match(normalised):
        raise InvalidInput("A verification code is 64 hexadecimal characters.", reason="invalid-code")
    submission = await SubmissionRepository(session).by_verification_code(normalised)
    if submission is None or submission.document_number is None:
        raise NotFound("No public explanation has this verification code.")
    return VerificationPublic(
        verification_code=normalised,
        valid=True,
        document_number=submission.document_number,
        enterprise_name=submission.enterprise_name,
        enterprise_name_en=submission.enterprise_name_en,
        language=submission.language,
        date=submission.submitted_at.astimezone(timezone).date(),
        status=await _verify_status(session, submission),
    )


async def _verify_status(session: AsyncSession, submission: Submission) -> str:
    """Where the paper stands: published or returned by review, signed while a scan waits, else rendered."""
    if submission.review_outcome is not None:
        return submission.review_outcome
    pending = await DocumentRepository(session).pending_scan(submission.tenant_id, submission.id)
    return "signed" if pending is not None else "rendered"


async def apply_review(session: AsyncSession, tenant_id: str, event: SubmissionReviewed) -> None:
    """Explanations decided the submission: publish its signed scan (DocumentPublished) or keep it from the public."""
    submission = await SubmissionRepository(session).get(tenant_id, event.submission_id, for_update=True)
    if submission is None or submission.enterprise_id != event.enterprise_id:
        log.warning("submissions.review_of_unknown_submission", submission_id=str(event.submission_id))
        return
    if event.outcome != "scan_refused":
        submission.review_outcome = ReviewOutcome(event.outcome)
        submission.updated_at = utcnow()
        session.add(submission)
    if event.signed_document_id is None:
        await session.flush()
        return
    documents = DocumentRepository(session)
    scan = await documents.get(tenant_id, event.signed_document_id, for_update=True)
    if scan is None or scan.submission_id != submission.id or scan.kind != DocumentKind.SIGNED_EXPLANATION:
        log.warning("submissions.reviewed_scan_unknown", document_id=str(event.signed_document_id))
        await session.flush()
        return
    if scan.status != DocumentStatus.PENDING:
        return  # a replay: decided already
    published = event.outcome == "published"
    scan.status = DocumentStatus.PUBLISHED if published else DocumentStatus.REJECTED
    scan.decided_at = event.reviewed_at
    session.add(scan)
    # The documents' own record of the decision, for the disclosures list and the decision history.
    rejected_items = [item.comment for item in event.items if item.decision == "rejected" and item.comment]
    ReviewRepository(session).add(
        ReviewDecision(
            tenant_id=tenant_id,
            document_id=scan.id,
            enterprise_id=scan.enterprise_id,
            submission_id=submission.id,
            decision=Decision.APPROVED if published else Decision.REJECTED,
            comment=event.scan_comment or event.comment or ("; ".join(rejected_items) or None),
            reviewed_by=event.reviewed_by,
            reviewed_at=event.reviewed_at,
        )
    )
    await session.flush()
    if event.outcome == "published":
        announce_published(
            session,
            scan,
            reviewed_by=event.reviewed_by,
            comment=event.scan_comment,
            at=event.reviewed_at,
            verification_code=submission.verification_code,
        )
    elif event.outcome == "scan_refused":
        assert event.scan_comment is not None
        # Only the scan is refused: the enterprise uploads another of the same PDF; notifications says so.
        announce_rejected(
            session, scan, reviewed_by=event.reviewed_by, comment=event.scan_comment, at=event.reviewed_at
        )
    log.info("submissions.scan_decided", document_id=str(scan.id), outcome=event.outcome)
