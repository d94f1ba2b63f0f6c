"""Submission use cases: Send Public Explanation, and following its PDF through signing; never commits."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.commitments import service as commitments
from bluemap_explanations.commitments.models import CommitmentResponse, CommitmentText
from bluemap_explanations.commitments.repository import CommitmentRepository
from bluemap_explanations.commitments.texts import CommitmentKind, Language
from bluemap_explanations.explanations.models import Explanation
from bluemap_explanations.explanations.repository import ExplanationRepository
from bluemap_explanations.explanations.rules import ExplanationStatus, allowed_from, sending_errors
from bluemap_explanations.explanations.rules import Step as ExStep
from bluemap_explanations.explanations.service import check_document
from bluemap_explanations.records.models import ExplainableRecord
from bluemap_explanations.records.repository import ExplainableRecordRepository, KnownEnterpriseRepository
from bluemap_explanations.records.service import snapshot_of
from bluemap_explanations.review.models import ReviewDecision
from bluemap_explanations.review.repository import ReviewDecisionRepository
from bluemap_explanations.submissions import deadline
from bluemap_explanations.submissions.models import Submission, SubmissionItem
from bluemap_explanations.submissions.repository import SubmissionRepository
from bluemap_explanations.submissions.rules import Step, SubmissionStatus, allows, next_status
from bluemap_explanations.submissions.schemas import (
    AcceptancePublic,
    DecisionPublic,
    RenderedPdf,
    SignedScan,
    SubmissionCreate,
    SubmissionDocuments,
    SubmissionItemPublic,
    SubmissionPublic,
)
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import (
    DocumentRejected,
    EnterpriseSnapshot,
    ExplanationSubmitted,
    MonitoringDetails,
    PdfRendered,
    PdfSigned,
    SubmissionSigned,
    SubmittedExplanation,
)
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging import emit
from bluemap_shared.problems import Conflict, NotFound, Problem

log = structlog.get_logger()

REQUIRED_TO_SEND = (CommitmentKind.ACCURACY, CommitmentKind.DEADLINE)


class IncompleteSubmission(Problem):
    status = 422
    type = "submission-incomplete"
    title = "Submission incomplete"


class AlreadySubmitted(Conflict):
    type = "already-submitted"
    title = "Already submitted"


async def send(
    session: AsyncSession,
    tenant_id: str,
    enterprise_id: UUID,
    data: SubmissionCreate,
    *,
    submitted_by: str,
    client_ip: str | None = None,
) -> SubmissionPublic:
    """Send the enterprise's saved explanations of the selected records together (ExplanationSubmitted)."""
    record_ids = list(dict.fromkeys(data.record_ids))
    records = await ExplainableRecordRepository(session).get_many(tenant_id, record_ids)
    foreign = [rid for rid in record_ids if rid not in records or records[rid].enterprise_id != enterprise_id]
    if foreign:
        # Another enterprise's record is indistinguishable from a missing one.
        raise NotFound("No such record.", record_ids=[str(rid) for rid in foreign])
    explanations = await ExplanationRepository(session).by_records(tenant_id, record_ids)
    sent = [(rid, e.status) for rid, e in explanations.items() if e.status != ExplanationStatus.DRAFT]
    if sent:
        raise AlreadySubmitted(
            "Some of these explanations were sent already and are not back for editing.",
            records=[{"record_id": str(rid), "status": status} for rid, status in sent],
        )
    errors = _sending_errors(record_ids, records, explanations)
    if errors:
        raise IncompleteSubmission("Complete every explanation before sending.", errors=errors)
    for explanation in explanations.values():
        if explanation.document_id is not None:
            # Checked again: the draft may have named it before its DocumentStored arrived.
            await check_document(session, tenant_id, enterprise_id, explanation.document_id, lagging_ok=False)
    if data.deadline_commitment is not None:
        await deadline.accept_for_send(
            session, tenant_id, enterprise_id, data.deadline_commitment, responded_by=submitted_by, client_ip=client_ip
        )
    accepted = await commitments.require_accepted(session, tenant_id, enterprise_id, REQUIRED_TO_SEND)
    await deadline.require_unused(session, tenant_id, enterprise_id, accepted[CommitmentKind.DEADLINE].id)
    known = await KnownEnterpriseRepository(session).get(tenant_id, enterprise_id)
    if known is None:
        raise Conflict("The enterprise's directory entry has not reached this service yet; try again later.")
    enterprise = snapshot_of(known)

    submission_id = uuid7()
    chosen = [explanations[rid] for rid in record_ids]
    claimed = await ExplanationRepository(session).claim_for_submission(
        tenant_id, {e.id: e.version for e in chosen}, submission_id
    )
    if claimed != len(chosen):
        raise Conflict("These explanations changed while being sent; reload them and send again.")

    language = data.language or cast(Language, accepted[CommitmentKind.DEADLINE].language)
    contents = [_submitted(records[e.record_id], e) for e in chosen]
    now = utcnow()
    submission = Submission(
        id=submission_id,
        tenant_id=tenant_id,
        enterprise_id=enterprise_id,
        status=SubmissionStatus.SENT.value,
        language=language,
        enterprise=enterprise.model_dump(mode="json"),
        accuracy_acceptance_id=accepted[CommitmentKind.ACCURACY].id,
        deadline_acceptance_id=accepted[CommitmentKind.DEADLINE].id,
        submitted_by=submitted_by,
        submitted_at=now,
        updated_at=now,
    )
    items = [
        SubmissionItem(
            submission_id=submission_id,
            explanation_id=e.id,
            tenant_id=tenant_id,
            record_id=e.record_id,
            position=position,
            explanation_version=e.version,
            content=content.model_dump(mode="json"),
            document_id=e.document_id,
        )
        for position, (e, content) in enumerate(zip(chosen, contents, strict=True))
    ]
    SubmissionRepository(session).add(submission, items)
    await session.flush()
    texts = await commitments.texts_of(session, tenant_id, accepted.values())
    emit(
        session,
        ExplanationSubmitted(
            submission_id=submission_id,
            enterprise=enterprise,
            language=language,
            explanations=contents,
            commitments=[commitments.reference(r, texts[r.id]) for r in accepted.values()],
            submitted_by=submitted_by,
            submitted_at=now,
        ),
        tenant_id=tenant_id,
    )
    # Described from what was just written: a Send in a burst is a dozen round trips, not eighteen.
    responses = {response.id: response for response in accepted.values()}
    statuses = {e.id: ExplanationStatus.SUBMITTED.value for e in chosen}
    [public] = _public([submission], items, [], statuses, responses, texts)
    return public


def _sending_errors(
    record_ids: Sequence[UUID], records: dict[UUID, ExplainableRecord], explanations: dict[UUID, Explanation]
) -> list[dict[str, str | None]]:
    errors: list[dict[str, str | None]] = []
    for rid in record_ids:
        record = records[rid]
        if not record.explainable:
            errors.append({"record_id": str(rid), "field": None, "reason": "not-explainable"})
            continue
        explanation = explanations.get(rid)
        texts = (
            None
            if explanation is None
            else explanation.model_dump(include={"violation", "reasons", "corrective_actions"})
        )
        monitoring = explanation.monitoring if explanation is not None else None
        errors += [
            {"record_id": str(rid), "field": error.field, "reason": error.reason}
            for error in sending_errors(record.record_type, texts, monitoring)
        ]
    return errors


def _submitted(record: ExplainableRecord, explanation: Explanation) -> SubmittedExplanation:
    return SubmittedExplanation(
        explanation_id=explanation.id,
        record_id=record.record_id,
        record_type=record.record_type,
        year=record.year,
        source_title=record.source_title,
        issuing_authority=record.issuing_authority,
        issued_on=record.issued_on,
        violation=explanation.violation,
        reasons=explanation.reasons,
        corrective_actions=explanation.corrective_actions,
        monitoring=monitoring_details(explanation),
    )


def monitoring_details(explanation: Explanation) -> MonitoringDetails | None:
    """The monitoring details of an explanation checked complete (automated-monitoring records)."""
    if explanation.monitoring is None:
        return None
    return MonitoringDetails.model_validate(explanation.monitoring)


async def get_submission(session: AsyncSession, tenant_id: str, submission_id: UUID) -> Submission:
    submission = await SubmissionRepository(session).get(tenant_id, submission_id)
    if submission is None:
        raise NotFound("No such submission.")
    return submission


async def on_pdf_rendered(session: AsyncSession, tenant_id: str, event: PdfRendered) -> None:
    """Documents rendered the PDF: the step RENDER (and SIGN, when the scan's event overtook this one)."""
    submission = await _announced(session, tenant_id, event.submission_id, event.enterprise_id, event.event_type)
    if submission is None:
        return
    if not allows(submission.status, Step.RENDER):
        log.info("submissions.step_ignored", submission_id=str(submission.id), step="render", status=submission.status)
        return
    _apply(
        submission,
        {
            "rendered_document_id": event.document_id,
            "document_number": event.document_number,
            "verification_code": event.verification_code,
            "rendered_at": event.rendered_at,
            "status": next_status(submission.status, Step.RENDER).value,
        },
    )
    if submission.signed_document_id is not None:
        # Documents' events are keyed by document: the scan's PdfSigned may have been handled first.
        await _signed(session, submission)
    await session.flush()


async def on_pdf_signed(session: AsyncSession, tenant_id: str, event: PdfSigned) -> None:
    """Documents accepted a signed scan: the step SIGN, the scan in force replacing any earlier one."""
    submission = await _announced(session, tenant_id, event.submission_id, event.enterprise_id, event.event_type)
    if submission is None:
        return
    if submission.signed_at is not None and event.signed_at < submission.signed_at:
        log.info("submissions.older_scan_ignored", submission_id=str(submission.id), document_id=str(event.document_id))
        return
    scan = {
        "signed_document_id": event.document_id,
        "signed_filename": event.filename,
        "signed_pages": event.pages,
        "signed_by": event.uploaded_by,
        "signed_at": event.signed_at,
    }
    if submission.status == SubmissionStatus.SENT:
        _apply(submission, scan)  # kept until PdfRendered arrives: then RENDER and SIGN
    elif allows(submission.status, Step.SIGN):
        _apply(submission, scan)
        await _signed(session, submission)
    else:
        # Published or returned: documents refuses such uploads, so only a race with the review lands here.
        log.warning("submissions.scan_after_review_ignored", submission_id=str(submission.id), status=submission.status)
        return
    await session.flush()


async def _signed(session: AsyncSession, submission: Submission) -> None:
    """Apply SIGN: explanations under review, and SubmissionSigned when the submission was waiting for a scan."""
    first = submission.status == SubmissionStatus.PDF_RENDERED
    _apply(submission, {"status": next_status(submission.status, Step.SIGN).value})
    await ExplanationRepository(session).move_submitted(
        submission.tenant_id, submission.id, sources=allowed_from(ExStep.SIGN), target=ExplanationStatus.UNDER_REVIEW
    )
    if not first:
        return
    assert submission.signed_document_id is not None
    assert submission.signed_at is not None
    items = await SubmissionRepository(session).items(submission.tenant_id, [submission.id])
    emit(
        session,
        SubmissionSigned(
            submission_id=submission.id,
            enterprise_id=submission.enterprise_id,
            record_ids=[item.record_id for item in items],
            signed_document_id=submission.signed_document_id,
            signed_at=submission.signed_at,
        ),
        tenant_id=submission.tenant_id,
    )


async def on_legacy_scan_rejected(session: AsyncSession, tenant_id: str, event: DocumentRejected) -> None:
    """A scan refusal documents decided itself before the upgrade (v1): the step REFUSE_SCAN, if still in force.

    Since the upgrade, scans are refused only by this service's review, whose own DocumentRejected
    names a scan no longer in force here, so it changes nothing.
    """
    if event.submission_id is None or event.kind != "signed-explanation":
        return
    submission = await SubmissionRepository(session).get(tenant_id, event.submission_id, lock=True)
    if submission is None or submission.signed_document_id != event.document_id:
        return
    if not allows(submission.status, Step.REFUSE_SCAN):
        return
    _apply(
        submission,
        {
            "status": next_status(submission.status, Step.REFUSE_SCAN).value,
            "signed_document_id": None,
            "signed_filename": None,
            "signed_pages": None,
            "signed_by": None,
            "signed_at": None,
            "scan_decision": "rejected",
            "scan_comment": event.comment,
        },
    )
    await ExplanationRepository(session).move_submitted(
        tenant_id, submission.id, sources=allowed_from(ExStep.SCAN_REJECTED), target=ExplanationStatus.SUBMITTED
    )
    await session.flush()


def _apply(submission: Submission, values: dict[str, Any]) -> None:
    """Set what differs; a replayed event (same content, new id) leaves the row as it was."""
    changed = False
    for name, value in values.items():
        if getattr(submission, name) != value:
            setattr(submission, name, value)
            changed = True
    if changed:
        submission.updated_at = utcnow()


async def _announced(
    session: AsyncSession, tenant_id: str, submission_id: UUID, enterprise_id: UUID, event_type: str
) -> Submission | None:
    """The submission a documents event is about, locked; None (logged) when it names none of ours."""
    submission = await SubmissionRepository(session).get(tenant_id, submission_id, lock=True)
    if submission is None or submission.enterprise_id != enterprise_id:
        # Documents renders only what this service announced: a mismatch is a bug or a forgery,
        # and retrying cannot fix it, so it is logged, not retried into the dead letters.
        log.warning(
            "submissions.unknown_submission_ignored",
            submission_id=str(submission_id),
            tenant_id=tenant_id,
            event_type=event_type,
        )
        return None
    return submission


async def list_submissions(
    session: AsyncSession,
    tenant_id: str,
    *,
    enterprise_id: UUID | None,
    statuses: Sequence[SubmissionStatus] | None,
    after: UUID | None,
    limit: int,
) -> list[SubmissionPublic]:
    rows = await SubmissionRepository(session).list(
        tenant_id,
        enterprise_id=enterprise_id,
        statuses=[s.value for s in statuses] if statuses is not None else None,
        after=after,
        limit=limit,
    )
    return await describe(session, tenant_id, rows)


async def describe(session: AsyncSession, tenant_id: str, submissions: Sequence[Submission]) -> list[SubmissionPublic]:
    """Submissions with their explanations as sent, decisions, commitments and documents, in a few queries."""
    ids = [s.id for s in submissions]
    items = await SubmissionRepository(session).items(tenant_id, ids)
    decisions = await ReviewDecisionRepository(session).of_submissions(tenant_id, ids)
    current = await ExplanationRepository(session).by_ids(tenant_id, {i.explanation_id for i in items})
    responses = await CommitmentRepository(session).responses(
        tenant_id, {r for s in submissions for r in (s.accuracy_acceptance_id, s.deadline_acceptance_id)}
    )
    texts = await commitments.texts_of(session, tenant_id, responses.values())
    statuses = {explanation_id: explanation.status for explanation_id, explanation in current.items()}
    return _public(submissions, items, decisions, statuses, responses, texts)


def _public(
    submissions: Sequence[Submission],
    items: Sequence[SubmissionItem],
    decisions: Sequence[ReviewDecision],
    statuses: dict[UUID, str],
    responses: dict[UUID, CommitmentResponse],
    texts: dict[UUID, CommitmentText],
) -> list[SubmissionPublic]:
    """The API's view of submissions, from what describe() loaded or send() has just written."""
    decided: dict[tuple[UUID, UUID], list[DecisionPublic]] = defaultdict(list)
    for d in decisions:
        decided[(d.submission_id, d.explanation_id)].append(DecisionPublic.model_validate(d, from_attributes=True))
    items_of: dict[UUID, list[SubmissionItemPublic]] = defaultdict(list)
    for item in items:
        items_of[item.submission_id].append(
            SubmissionItemPublic(
                explanation_id=item.explanation_id,
                record_id=item.record_id,
                position=item.position,
                explanation_version=item.explanation_version,
                sent=SubmittedExplanation.model_validate(item.content),
                document_id=item.document_id,
                outcome=item.outcome,
                decided_at=item.decided_at,
                explanation_status=statuses.get(item.explanation_id),
                decisions=decided[(item.submission_id, item.explanation_id)],
            )
        )
    return [
        SubmissionPublic(
            id=s.id,
            tenant_id=s.tenant_id,
            enterprise_id=s.enterprise_id,
            enterprise=EnterpriseSnapshot.model_validate(s.enterprise),
            status=s.status,
            language=s.language,
            submitted_by=s.submitted_by,
            submitted_at=s.submitted_at,
            reviewed_at=s.reviewed_at,
            reviewed_by=s.reviewed_by,
            scan_decision=s.scan_decision,
            scan_comment=s.scan_comment,
            review_comment=s.review_comment,
            updated_at=s.updated_at,
            documents=_documents(s),
            commitments=[
                _acceptance(responses[r], texts)
                for r in (s.accuracy_acceptance_id, s.deadline_acceptance_id)
                if r in responses
            ],
            items=items_of[s.id],
        )
        for s in submissions
    ]


def _acceptance(response: CommitmentResponse, texts: dict[UUID, CommitmentText]) -> AcceptancePublic:
    text = texts.get(response.id)
    return AcceptancePublic.model_validate({**response.model_dump(), "text": text.text if text is not None else None})


def _documents(submission: Submission) -> SubmissionDocuments:
    rendered = signed = None
    if submission.rendered_document_id is not None:
        rendered = RenderedPdf(
            document_id=submission.rendered_document_id,
            document_number=submission.document_number,
            verification_code=submission.verification_code,
            rendered_at=submission.rendered_at,
        )
    if submission.signed_document_id is not None:
        signed = SignedScan(
            document_id=submission.signed_document_id,
            filename=submission.signed_filename,
            pages=submission.signed_pages,
            uploaded_by=submission.signed_by,
            signed_at=submission.signed_at,
        )
    return SubmissionDocuments(rendered=rendered, signed=signed)
