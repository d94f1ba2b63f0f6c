"""Review use cases: a reviewer decides a whole submission in one transaction; never commits."""

from datetime import datetime
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.explanations.models import Explanation
from bluemap_explanations.explanations.repository import ExplanationRepository
from bluemap_explanations.explanations.rules import ExplanationStatus, allowed_from
from bluemap_explanations.explanations.rules import Step as ExStep
from bluemap_explanations.review.models import ReviewDecision
from bluemap_explanations.review.repository import ReviewDecisionRepository
from bluemap_explanations.review.schemas import SubmissionReview
from bluemap_explanations.submissions.models import Submission, SubmissionItem
from bluemap_explanations.submissions.repository import SubmissionRepository
from bluemap_explanations.submissions.rules import (
    ItemOutcome,
    Step,
    SubmissionStatus,
    Verdict,
    allows,
    next_status,
    review_step,
)
from bluemap_explanations.submissions.service import monitoring_details
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import (
    ExplanationPublishedV2,
    ExplanationRejectedV2,
    ItemDecision,
    SubmissionReviewed,
)
from bluemap_shared.messaging import emit
from bluemap_shared.problems import Conflict, InvalidInput, NotFound

log = structlog.get_logger()

_OUTCOME = {Step.PUBLISH: "published", Step.RETURN: "returned", Step.REFUSE_SCAN: "scan_refused"}


class ReviewRefused(Conflict):
    type = "review-refused"
    title = "Review refused"


async def _locked(session: AsyncSession, tenant_id: str, submission_id: UUID) -> Submission:
    # Reviews of one submission take turns: the second sees the first one's outcome and is refused.
    submission = await SubmissionRepository(session).get(tenant_id, submission_id, lock=True)
    if submission is None:
        raise NotFound("No such submission.")
    return submission


async def open_review(session: AsyncSession, tenant_id: str, submission_id: UUID) -> Submission:
    """A reviewer takes a signed submission (signed -> under_review); a new scan hands it back to signed."""
    submission = await _locked(session, tenant_id, submission_id)
    if submission.status == SubmissionStatus.UNDER_REVIEW:
        return submission
    if not allows(submission.status, Step.OPEN_REVIEW):
        raise ReviewRefused(_why_not(submission.status), submission_status=submission.status)
    submission.status = next_status(submission.status, Step.OPEN_REVIEW).value
    submission.updated_at = utcnow()
    await session.flush()
    return submission


def _why_not(status: str) -> str:
    if status in (SubmissionStatus.SENT, SubmissionStatus.PDF_RENDERED):
        return "The enterprise has not uploaded the signed scan of this submission yet."
    if status == SubmissionStatus.PUBLISHED:
        return "This submission is published already."
    if status == SubmissionStatus.RETURNED:
        return "This submission went back to the enterprise; it will come again as a new submission."
    return f"A submission that is {status} cannot be reviewed."


async def review_submission(
    session: AsyncSession, tenant_id: str, submission_id: UUID, data: SubmissionReview, *, reviewed_by: str
) -> Submission:
    """Decide every pending explanation and the signed scan together: published, returned or scan refused."""
    submission = await _locked(session, tenant_id, submission_id)
    if not any(allows(submission.status, step) for step in (Step.PUBLISH, Step.RETURN, Step.REFUSE_SCAN)):
        raise ReviewRefused(_why_not(submission.status), submission_status=submission.status)
    submissions = SubmissionRepository(session)
    items = {item.explanation_id: item for item in await submissions.items(tenant_id, [submission.id])}
    pending = {eid for eid, item in items.items() if item.outcome == ItemOutcome.PENDING}
    decided = [v.explanation_id for v in data.explanations]
    if len(set(decided)) != len(decided) or set(decided) != pending:
        raise InvalidInput(
            "Decide every explanation of the submission still waiting for a decision, once each.",
            reason="decisions-incomplete",
            expected=sorted(str(e) for e in pending),
        )
    verdicts = [v.decision for v in data.explanations]
    if data.scan is None:
        if Verdict.REJECTED not in verdicts:
            raise ReviewRefused(
                "An explanation cannot be approved while the signed scan is pending.",
                reason="scan-pending",
                submission_status=submission.status,
            )
        step = Step.RETURN
    else:
        if submission.signed_document_id is None or data.scan.document_id != submission.signed_document_id:
            raise ReviewRefused(
                "The signed scan decided is not the one in force (a newer one came, or none); reload the submission.",
                reason="scan-changed",
                signed_document_id=str(submission.signed_document_id) if submission.signed_document_id else None,
            )
        step = review_step(verdicts, data.scan.decision)
    if not allows(submission.status, step):
        raise ReviewRefused(_why_not(submission.status), submission_status=submission.status)

    now = utcnow()
    explanations = ExplanationRepository(session)
    current = await explanations.by_ids(tenant_id, pending)
    decisions = ReviewDecisionRepository(session)
    for verdict in data.explanations:
        explanation = current[verdict.explanation_id]
        decisions.add(
            ReviewDecision(
                tenant_id=tenant_id,
                submission_id=submission.id,
                explanation_id=explanation.id,
                record_id=explanation.record_id,
                enterprise_id=explanation.enterprise_id,
                explanation_version=explanation.version,
                decision=verdict.decision.value,
                comment=verdict.comment,
                reviewed_by=reviewed_by,
                reviewed_at=now,
            )
        )
    outcomes = _item_outcomes(step, {v.explanation_id: v.decision for v in data.explanations})
    for explanation_id, outcome in outcomes.items():
        await submissions.decide_item(tenant_id, submission.id, explanation_id, outcome, now)
    await _move_explanations(explanations, tenant_id, submission.id, step, now)

    submission.status = next_status(submission.status, step).value
    submission.reviewed_by = reviewed_by
    submission.reviewed_at = now
    submission.scan_decision = data.scan.decision.value if data.scan is not None else None
    submission.scan_comment = data.scan.comment if data.scan is not None else None
    submission.review_comment = data.comment
    if step is Step.REFUSE_SCAN:
        _drop_scan(submission)
    submission.updated_at = now
    await session.flush()
    _announce(submission, step, data, items, current, reviewed_by=reviewed_by, at=now, session=session)
    log.info("review.submission_decided", submission_id=str(submission.id), outcome=_OUTCOME[step])
    return submission


def _item_outcomes(step: Step, verdicts: dict[UUID, Verdict]) -> dict[UUID, ItemOutcome]:
    """What each explanation's row says after the review; a refused scan leaves them waiting for the next one."""
    if step is Step.PUBLISH:
        return {eid: ItemOutcome.PUBLISHED for eid in verdicts}
    if step is Step.RETURN:
        return {
            eid: ItemOutcome.REJECTED if v is Verdict.REJECTED else ItemOutcome.RETURNED for eid, v in verdicts.items()
        }
    return {}


async def _move_explanations(
    explanations: ExplanationRepository, tenant_id: str, submission_id: UUID, step: Step, now: datetime
) -> None:
    if step is Step.PUBLISH:
        await explanations.move_submitted(
            tenant_id,
            submission_id,
            sources=allowed_from(ExStep.APPROVE),
            target=ExplanationStatus.PUBLISHED,
            values={"published_at": now},
        )
    elif step is Step.RETURN:
        # Every explanation of it is editable again, the approved ones too: the next Send is a new PDF.
        await explanations.move_submitted(
            tenant_id, submission_id, sources=allowed_from(ExStep.REJECT), target=ExplanationStatus.DRAFT
        )
    else:
        await explanations.move_submitted(
            tenant_id, submission_id, sources=allowed_from(ExStep.SCAN_REJECTED), target=ExplanationStatus.SUBMITTED
        )


def _drop_scan(submission: Submission) -> None:
    submission.signed_document_id = None
    submission.signed_filename = None
    submission.signed_pages = None
    submission.signed_by = None
    submission.signed_at = None


def _announce(
    submission: Submission,
    step: Step,
    data: SubmissionReview,
    items: dict[UUID, SubmissionItem],
    current: dict[UUID, Explanation],
    *,
    reviewed_by: str,
    at: datetime,
    session: AsyncSession,
) -> None:
    """SubmissionReviewed for the workflow's followers; v2 explanation events for the public and the emails."""
    assert data.scan is not None or step is Step.RETURN
    tenant_id = submission.tenant_id
    emit(
        session,
        SubmissionReviewed(
            submission_id=submission.id,
            enterprise_id=submission.enterprise_id,
            outcome=_OUTCOME[step],  # type: ignore[arg-type]
            signed_document_id=data.scan.document_id if data.scan is not None else None,
            scan_decision=data.scan.decision.value if data.scan is not None else None,  # type: ignore[arg-type]
            scan_comment=data.scan.comment if data.scan is not None else None,
            comment=data.comment,
            items=[
                ItemDecision(
                    explanation_id=v.explanation_id,
                    record_id=items[v.explanation_id].record_id,
                    decision=v.decision.value,  # type: ignore[arg-type]
                    comment=v.comment,
                )
                for v in data.explanations
            ],
            verification_code=submission.verification_code,
            reviewed_by=reviewed_by,
            reviewed_at=at,  # type: ignore[arg-type]
        ),
        tenant_id=tenant_id,
    )
    for verdict in data.explanations:
        explanation = current[verdict.explanation_id]
        if step is Step.PUBLISH:
            emit(
                session,
                ExplanationPublishedV2(
                    explanation_id=explanation.id,
                    submission_id=submission.id,
                    record_id=explanation.record_id,
                    enterprise_id=explanation.enterprise_id,
                    violation=explanation.violation,
                    reasons=explanation.reasons,
                    corrective_actions=explanation.corrective_actions,
                    monitoring=monitoring_details(explanation),
                    reviewed_by=reviewed_by,
                    comment=verdict.comment,
                    published_at=at,  # type: ignore[arg-type]
                    submitted_at=submission.submitted_at,
                    verification_code=submission.verification_code,
                ),
                tenant_id=tenant_id,
            )
        elif step is Step.RETURN and verdict.decision is Verdict.REJECTED:
            assert verdict.comment is not None, "a rejection says why"
            emit(
                session,
                ExplanationRejectedV2(
                    explanation_id=explanation.id,
                    submission_id=submission.id,
                    record_id=explanation.record_id,
                    enterprise_id=explanation.enterprise_id,
                    comment=verdict.comment,
                    reviewed_by=reviewed_by,
                    rejected_at=at,  # type: ignore[arg-type]
                ),
                tenant_id=tenant_id,
            )
