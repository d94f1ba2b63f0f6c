"""Submissions API: the signed scan upload (STEP 8-10), a submission's state, the public verification."""

from datetime import timedelta
from uuid import UUID

from fastapi import APIRouter, Path, Request, status

from bluemap_documents.dependencies import SettingsDep, StorageDep, multipart_body, receive, upload_body_limit
from bluemap_documents.documents import capabilities
from bluemap_documents.documents.schemas import DocumentPublic
from bluemap_documents.documents.service import validate_pdf
from bluemap_documents.submissions import scan_match, service
from bluemap_documents.submissions.models import Submission
from bluemap_documents.submissions.schemas import SubmissionPublic, VerificationPublic
from bluemap_shared.auth import CurrentPrincipal, EnterpriseUser
from bluemap_shared.body_limit import large_body
from bluemap_shared.db import utcnow
from bluemap_shared.problems import Forbidden
from bluemap_shared.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/v1/submissions", tags=["submissions"])
verify_router = APIRouter(tags=["public"])

_SCAN_BODY = multipart_body({"file": {"type": "string", "format": "binary"}}, ["file"])


def to_public(submission: Submission, settings: SettingsDep) -> SubmissionPublic:
    url = expires_at = None
    if submission.document_id is not None:
        expires_at = utcnow() + timedelta(seconds=settings.download_url_ttl_seconds)
        url = capabilities.content_url(settings.api_url, settings.signing_key, submission.document_id, expires_at)
    return SubmissionPublic(
        id=submission.id,
        enterprise_id=submission.enterprise_id,
        language=submission.language,
        status=submission.review_outcome or submission.render_state,
        record_ids=[UUID(r) for r in submission.record_ids],
        submitted_at=submission.submitted_at,
        document_number=submission.document_number,
        verification_code=submission.verification_code,
        rendered_document_id=submission.document_id,
        rendered_at=submission.rendered_at,
        download_url=url,
        download_expires_at=expires_at,
    )


@router.get("/{submission_id}", response_model=SubmissionPublic)
async def get_submission(
    submission_id: UUID, session: SessionDep, principal: CurrentPrincipal, settings: SettingsDep
) -> SubmissionPublic:
    """A submission's PDF state and a short-lived link to the rendered PDF; its enterprise and operators only."""
    return to_public(await service.submission_for(session, principal, submission_id), settings)


@router.post(
    "/{submission_id}/signed",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentPublic,
    openapi_extra=_SCAN_BODY,
    responses={
        409: {"description": "The PDF is not rendered yet (send first), or the scan is already published"},
        413: {"description": "The file exceeds max_upload_bytes"},
        415: {"description": "Not a PDF"},
        422: {
            "description": "A PDF refused (encrypted, JavaScript, attachments, pages...), or not a scan of the "
            "submission's PDF (scan-mismatch: page-count-mismatch, code-not-found, other-document); `reason` says why"
        },
    },
)
@large_body(upload_body_limit)
async def upload_signed_scan(
    submission_id: UUID,
    request: Request,
    session: SessionDep,
    principal: EnterpriseUser,
    storage: StorageDep,
    settings: SettingsDep,
    runtime: RuntimeDep,
) -> DocumentPublic:
    """Upload the signed or sealed scan of the submission's PDF (multipart `file`); it waits for review (PdfSigned).

    The scan must be of the rendered PDF: its page count (± scan_page_tolerance) and the document's code
    on its pages (text layer, or the QR code printed on every page). Soft failures are accepted with
    `scan_warnings` for the reviewer. Uploading again before a reviewer decided replaces the waiting scan.
    """
    if principal.enterprise_id is None:
        raise Forbidden("This account is not linked to an enterprise.")
    # Refused before reading the body when the state already says no; in a session of its own, so
    # the request's transaction holds no connection while the file arrives.
    async with runtime.sessionmaker() as check:
        submission = await service.submission_for(check, principal, submission_id)
        service.ensure_accepts_scan(submission)
        expected = await scan_match.expected_of(check, submission)
    async with receive(request, settings) as upload:
        facts = await validate_pdf(upload, max_pages=settings.max_pdf_pages)
        warnings = None
        if expected is not None:
            warnings = await scan_match.check_scan(upload.path, expected, scan_match.ScanChecks.of(settings))
        document = await service.store_signed_scan(
            session, storage, principal, submission_id, upload, facts, scan_warnings=warnings
        )
    return DocumentPublic.model_validate(document)


@verify_router.get(
    "/v1/verify/{code}",
    response_model=VerificationPublic,
    responses={404: {"description": "No document has this code"}, 422: {"description": "Not a verification code"}},
)
async def verify_document(
    session: SessionDep,
    settings: SettingsDep,
    code: str = Path(max_length=128, description="The verification code printed on the PDF (SHA-256, hex)"),
) -> VerificationPublic:
    """Whether a verification code belongs to a public explanation this platform rendered, and where it stands."""
    return await service.verify(session, code, timezone=settings.timezone)
