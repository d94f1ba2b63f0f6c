"""Review use cases: reviewers publish explanations or send them back; never commits."""

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.explanations.models import Explanation
from bluemap_explanations.explanations.repository import ExplanationRepository
from bluemap_explanations.explanations.rules import ExplanationStatus, Step, after
from bluemap_explanations.review.models import Decision, ReviewDecision
from bluemap_explanations.review.repository import ReviewDecisionRepository
from bluemap_explanations.submissions.repository import SubmissionRepository
from bluemap_explanations.submissions.rules import ItemOutcome, SubmissionStatus
from bluemap_explanations.submissions.service import monitoring_details
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import ExplanationPublished, ExplanationRejected
from bluemap_shared.messaging import emit
from bluemap_shared.problems import Conflict, NotFound


class ReviewRefused(Conflict):
    type = "review-refused"
    title = "Review refused"


def _refused(status: str, step: Step) -> ReviewRefused:
    if status == ExplanationStatus.PUBLISHED:
        return ReviewRefused("This explanation is published already.", explanation_status=status)
    if status == ExplanationStatus.DRAFT:
        return ReviewRefused("This explanation is not sent for review.", explanation_status=status)
    if step is Step.APPROVE and status == ExplanationStatus.SUBMITTED:
        return ReviewRefused("The enterprise has not uploaded the signed explanation yet.", explanation_status=status)
    return ReviewRefused(f"An explanation that is {status} cannot be {step.value}d.", explanation_status=status)


async def decide(
    session: AsyncSession, tenant_id: str, explanation_id: UUID, step: Step, *, comment: str | None, reviewed_by: str
) -> tuple[ReviewDecision, Explanation]:
    """Approve (ExplanationPublished) or reject (ExplanationRejected, editable again) a sent explanation."""
    explanations = ExplanationRepository(session)
    explanation = await explanations.get_by_id(tenant_id, explanation_id)
    if explanation is None:
        raise NotFound("No such explanation.")
    if explanation.submission_id is None:
        raise _refused(explanation.status, step)
    submissions = SubmissionRepository(session)
    # Decisions on one submission take turns, so exactly one of them sees the last pending item.
    submission = await submissions.get(tenant_id, explanation.submission_id, lock=True)
    explanation = await explanations.get_by_id(tenant_id, explanation_id, fresh=True)
    if submission is None or explanation is None or explanation.submission_id != submission.id:
        raise Conflict("This explanation changed meanwhile; reload it.")
    target = after(explanation.status, step)
    if target is None:
        raise _refused(explanation.status, step)
    now = utcnow()
    moved = await explanations.move(
        tenant_id,
        explanation.id,
        sources=[ExplanationStatus(explanation.status)],
        target=target,
        values={"published_at": now} if target is ExplanationStatus.PUBLISHED else None,
    )
    if not moved:
        raise Conflict("This explanation changed meanwhile; reload it.")
    approved = step is Step.APPROVE
    decision = ReviewDecision(
        tenant_id=tenant_id,
        submission_id=submission.id,
        explanation_id=explanation.id,
        record_id=explanation.record_id,
        enterprise_id=explanation.enterprise_id,
        explanation_version=explanation.version,
        decision=Decision.APPROVED if approved else Decision.REJECTED,
        comment=comment,
        reviewed_by=reviewed_by,
        reviewed_at=now,
    )
    ReviewDecisionRepository(session).add(decision)
    await submissions.decide_item(
        tenant_id, submission.id, explanation.id, ItemOutcome.PUBLISHED if approved else ItemOutcome.REJECTED, now
    )
    if await submissions.pending_items(tenant_id, submission.id) == 0:
        submission.status = SubmissionStatus.REVIEWED.value
        submission.reviewed_at = now
    submission.updated_at = now
    await session.flush()
    if approved:
        emit(
            session,
            ExplanationPublished(
                explanation_id=explanation.id,
                submission_id=submission.id,
                record_id=explanation.record_id,
                enterprise_id=explanation.enterprise_id,
                violation=explanation.violation,
                reasons=explanation.reasons,
                corrective_actions=explanation.corrective_actions,
                monitoring=monitoring_details(explanation),
                reviewed_by=reviewed_by,
                comment=comment,
                published_at=now,
                submitted_at=submission.submitted_at,
            ),
            tenant_id=tenant_id,
        )
    else:
        assert comment is not None, "a rejection says why"
        emit(
            session,
            ExplanationRejected(
                explanation_id=explanation.id,
                submission_id=submission.id,
                record_id=explanation.record_id,
                enterprise_id=explanation.enterprise_id,
                comment=comment,
                reviewed_by=reviewed_by,
                rejected_at=now,
            ),
            tenant_id=tenant_id,
        )
    return decision, explanation
