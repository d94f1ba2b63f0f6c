"""The reviewers' console: the queue of submissions and the decisions on their explanations."""

from uuid import UUID

from fastapi import APIRouter, Query

from bluemap_explanations.explanations.rules import Step
from bluemap_explanations.explanations.schemas import ExplanationPublic
from bluemap_explanations.review import service
from bluemap_explanations.review.schemas import Approval, DecisionOutcome, Rejection
from bluemap_explanations.submissions import service as submissions
from bluemap_explanations.submissions.rules import OPEN, SubmissionStatus
from bluemap_explanations.submissions.schemas import DecisionPublic, SubmissionPublic
from bluemap_shared.auth import Operator
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/review", tags=["review"])


@router.get("/submissions", response_model=list[SubmissionPublic])
async def review_queue(
    session: SessionDep,
    principal: Operator,
    submission_status: list[SubmissionStatus] | None = Query(
        default=None, alias="status", description="By default every open one: sent, pdf_rendered, signed"
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


@router.post("/explanations/{explanation_id}/approve", response_model=DecisionOutcome)
async def approve_explanation(
    explanation_id: UUID, data: Approval, session: SessionDep, principal: Operator
) -> DecisionOutcome:
    """Publish an explanation under review (ExplanationPublished)."""
    decision, explanation = await service.decide(
        session, principal.tenant_id, explanation_id, Step.APPROVE, comment=data.comment, reviewed_by=principal.subject
    )
    return DecisionOutcome(
        decision=DecisionPublic.model_validate(decision, from_attributes=True),
        explanation=ExplanationPublic.model_validate(explanation),
    )


@router.post("/explanations/{explanation_id}/reject", response_model=DecisionOutcome)
async def reject_explanation(
    explanation_id: UUID, data: Rejection, session: SessionDep, principal: Operator
) -> DecisionOutcome:
    """Send a sent explanation back to its enterprise with a comment (ExplanationRejected); editable again."""
    decision, explanation = await service.decide(
        session, principal.tenant_id, explanation_id, Step.REJECT, comment=data.comment, reviewed_by=principal.subject
    )
    return DecisionOutcome(
        decision=DecisionPublic.model_validate(decision, from_attributes=True),
        explanation=ExplanationPublic.model_validate(explanation),
    )
