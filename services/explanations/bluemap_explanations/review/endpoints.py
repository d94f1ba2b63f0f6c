"""The reviewers' console: the queue of submissions and the decisions on their explanations."""

from uuid import UUID

from fastapi import APIRouter, Query

from bluemap_explanations.review import service
from bluemap_explanations.review.schemas import SubmissionReview
from bluemap_explanations.submissions import service as submissions
from bluemap_explanations.submissions.rules import OPEN, SubmissionStatus
from bluemap_explanations.submissions.schemas import SubmissionPublic
from bluemap_shared.auth import Operator
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/review", tags=["review"])
# The review command belongs to the submission it decides.
decisions_router = APIRouter(prefix="/v1", tags=["review"])


@router.get("/submissions", response_model=list[SubmissionPublic])
async def review_queue(
    session: SessionDep,
    principal: Operator,
    submission_status: list[SubmissionStatus] | None = Query(
        default=None, alias="status", description="By default every open one: sent, pdf_rendered, signed, under_review"
    ),
    enterprise_id: UUID | None = None,
    after: UUID | None = Query(default=None, description="Cursor: the last id of the previous page"),
    limit: int = Query(default=20, ge=1, le=100),
) -> list[SubmissionPublic]:
    """Submissions of the tenant, oldest first, with explanations, records, commitments, documents, decisions."""
    return await submissions.list_submissions(
        session,
        principal.tenant_id,
        enterprise_id=enterprise_id,
        statuses=submission_status or OPEN,
        after=after,
        limit=limit,
    )


@router.get("/submissions/{submission_id}", response_model=SubmissionPublic)
async def review_submission(submission_id: UUID, session: SessionDep, principal: Operator) -> SubmissionPublic:
    """One submission of the tenant, as the queue shows it."""
    submission = await submissions.get_submission(session, principal.tenant_id, submission_id)
    [public] = await submissions.describe(session, principal.tenant_id, [submission])
    return public


@router.post("/submissions/{submission_id}/open", response_model=SubmissionPublic)
async def open_review(submission_id: UUID, session: SessionDep, principal: Operator) -> SubmissionPublic:
    """Take a signed submission for review (under_review); 409 before its scan or once decided."""
    submission = await service.open_review(session, principal.tenant_id, submission_id)
    [public] = await submissions.describe(session, principal.tenant_id, [submission])
    return public


@decisions_router.post("/submissions/{submission_id}/review", response_model=SubmissionPublic)
async def decide_submission(
    submission_id: UUID, data: SubmissionReview, session: SessionDep, principal: Operator
) -> SubmissionPublic:
    """Decide every explanation and the signed scan together, in one transaction.

    All approved: published (its explanations and the scan go public). Any explanation rejected:
    returned to the enterprise with the comments, for a new Send. Only the scan rejected: back to
    waiting for another scan of the same PDF. 409 when an approval comes before the scan.
    """
    submission = await service.review_submission(
        session, principal.tenant_id, submission_id, data, reviewed_by=principal.subject
    )
    [public] = await submissions.describe(session, principal.tenant_id, [submission])
    return public
