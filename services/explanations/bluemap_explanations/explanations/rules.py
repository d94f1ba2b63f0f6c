"""The pure rules of an explanation: its state machine and what makes it complete enough to send."""

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

AUTOMATED_MONITORING = "automated_monitoring"
TEXT_FIELDS = ("violation", "reasons", "corrective_actions")
MONITORING_TEXT_FIELDS = ("pollutant", "measured_value", "limit_value")


class ExplanationStatus(enum.StrEnum):
    """Where an explanation stands; only drafts may be edited or sent."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    PUBLISHED = "published"


class Step(enum.StrEnum):
    """What can happen to an explanation."""

    EDIT = "edit"
    SEND = "send"
    SIGN = "sign"
    SCAN_REJECTED = "scan_rejected"
    APPROVE = "approve"
    REJECT = "reject"


_TRANSITIONS: dict[tuple[ExplanationStatus, Step], ExplanationStatus] = {
    (ExplanationStatus.DRAFT, Step.EDIT): ExplanationStatus.DRAFT,
    (ExplanationStatus.DRAFT, Step.SEND): ExplanationStatus.SUBMITTED,
    # The enterprise uploaded the signed or sealed scan of the sent PDF: reviewers may decide now.
    (ExplanationStatus.SUBMITTED, Step.SIGN): ExplanationStatus.UNDER_REVIEW,
    # Documents' reviewers refused the signed scan: it waits for a new upload, not for a decision.
    (ExplanationStatus.UNDER_REVIEW, Step.SCAN_REJECTED): ExplanationStatus.SUBMITTED,
    # Approval needs the signed scan; an obviously wrong explanation may go back before it arrives.
    (ExplanationStatus.SUBMITTED, Step.REJECT): ExplanationStatus.DRAFT,
    (ExplanationStatus.UNDER_REVIEW, Step.APPROVE): ExplanationStatus.PUBLISHED,
    (ExplanationStatus.UNDER_REVIEW, Step.REJECT): ExplanationStatus.DRAFT,
}


def after(status: str, step: Step) -> ExplanationStatus | None:
    """The status an explanation in `status` has after `step`; None when the step is refused."""
    try:
        return _TRANSITIONS.get((ExplanationStatus(status), step))
    except ValueError:
        return None


def allowed_from(step: Step) -> frozenset[ExplanationStatus]:
    """Every status in which `step` is allowed (what a conditional UPDATE may match)."""
    return frozenset(source for source, s in _TRANSITIONS if s is step)


class WorkspaceStatus(enum.StrEnum):
    """What the enterprise workspace shows next to a record."""

    DRAFT = "draft"  # nothing saved yet: still to be explained
    SAVED = "saved"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    PUBLISHED = "published"
    REJECTED = "rejected"  # sent back by a reviewer, editable again; the comment says why


def workspace_status(explanation_status: str | None, last_decision: str | None) -> WorkspaceStatus:
    """The record's status in the workspace, from its explanation and the last review decision."""
    if explanation_status is None:
        return WorkspaceStatus.DRAFT
    if explanation_status == ExplanationStatus.DRAFT:
        return WorkspaceStatus.REJECTED if last_decision == "rejected" else WorkspaceStatus.SAVED
    return WorkspaceStatus(explanation_status)


@dataclass(frozen=True)
class FieldError:
    """Why one field keeps an explanation from being sent."""

    field: str
    reason: str


def sending_errors(
    record_type: str, texts: Mapping[str, str] | None, monitoring: Mapping[str, Any] | None
) -> list[FieldError]:
    """What is missing before an explanation can be sent; texts None means nothing was saved."""
    if texts is None:
        return [FieldError(field, "missing") for field in TEXT_FIELDS]
    errors = [FieldError(field, "empty") for field in TEXT_FIELDS if not (texts.get(field) or "").strip()]
    if record_type == AUTOMATED_MONITORING:
        errors += monitoring_errors(monitoring)
    return errors


def monitoring_errors(monitoring: Mapping[str, Any] | None) -> list[FieldError]:
    """An exceedance is explained with the pollutant, the value measured, the limit and the period."""
    if monitoring is None:
        return [FieldError("monitoring", "missing")]
    errors = [
        FieldError(f"monitoring.{field}", "empty")
        for field in MONITORING_TEXT_FIELDS
        if not (monitoring.get(field) or "").strip()
    ]
    start, end = monitoring.get("period_start"), monitoring.get("period_end")
    errors += [
        FieldError(f"monitoring.{name}", "missing")
        for name, value in (("period_start", start), ("period_end", end))
        if value is None
    ]
    if start is not None and end is not None and _instant(end) < _instant(start):
        errors.append(FieldError("monitoring.period_end", "before-start"))
    return errors


def _instant(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
