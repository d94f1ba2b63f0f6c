"""The disclosure lifecycle of a record: which status follows which, on what (pure, no I/O)."""

import enum


class RecordStatus(enum.StrEnum):
    """Where a record stands in the disclosure lifecycle."""

    AWAITING_EXPLANATION = "awaiting_explanation"
    EXPLANATION_SUBMITTED = "explanation_submitted"
    UNDER_REVIEW = "under_review"
    EXPLAINED = "explained"
    RESOLVED = "resolved"  # resolved / delisted after the operator's audit
    RESTORED = "restored"  # back on the list: the audit found the fix was not real
    PUBLISHED = "published"  # types enterprises are not asked to explain


class Trigger(enum.StrEnum):
    """What moves a record: an event of another service or an operator's decision."""

    EXPLANATION_SUBMITTED = "explanation_submitted"
    SUBMISSION_SIGNED = "submission_signed"
    SUBMISSION_PUBLISHED = "submission_published"
    SUBMISSION_RETURNED = "submission_returned"
    SCAN_REFUSED = "scan_refused"
    # v1 explanation events sent one by one before the whole-submission review (issue 15); an
    # upgrade may find some still in flight.
    EXPLANATION_PUBLISHED = "explanation_published"
    EXPLANATION_REJECTED = "explanation_rejected"
    RESOLVE = "resolve"
    RESTORE = "restore"


S = RecordStatus
T = Trigger

TRANSITIONS: dict[tuple[RecordStatus, Trigger], RecordStatus] = {
    (S.AWAITING_EXPLANATION, T.EXPLANATION_SUBMITTED): S.EXPLANATION_SUBMITTED,
    (S.RESTORED, T.EXPLANATION_SUBMITTED): S.EXPLANATION_SUBMITTED,
    # Every workflow event comes from explanations keyed by the submission, so in order: no tolerance needed.
    (S.EXPLANATION_SUBMITTED, T.SUBMISSION_SIGNED): S.UNDER_REVIEW,
    (S.UNDER_REVIEW, T.SUBMISSION_PUBLISHED): S.EXPLAINED,
    (S.UNDER_REVIEW, T.SCAN_REFUSED): S.EXPLANATION_SUBMITTED,
    (S.UNDER_REVIEW, T.SUBMISSION_RETURNED): S.AWAITING_EXPLANATION,
    (S.EXPLANATION_SUBMITTED, T.SUBMISSION_RETURNED): S.AWAITING_EXPLANATION,
    (S.UNDER_REVIEW, T.EXPLANATION_PUBLISHED): S.EXPLAINED,
    (S.EXPLANATION_SUBMITTED, T.EXPLANATION_PUBLISHED): S.EXPLAINED,
    (S.EXPLANATION_SUBMITTED, T.EXPLANATION_REJECTED): S.AWAITING_EXPLANATION,
    (S.UNDER_REVIEW, T.EXPLANATION_REJECTED): S.AWAITING_EXPLANATION,
    (S.EXPLAINED, T.RESOLVE): S.RESOLVED,
    (S.RESOLVED, T.RESTORE): S.RESTORED,
}

# Statuses in which the enterprise owes an explanation, so a deadline runs.
OPEN_STATUSES = frozenset({S.AWAITING_EXPLANATION, S.RESTORED})


class IllegalTransition(Exception):
    """The trigger does not apply to the record's current status."""

    def __init__(self, current: str, trigger: Trigger) -> None:
        allowed = sorted(str(status) for status, t in TRANSITIONS if t == trigger)
        super().__init__(f"a record {current} cannot take '{trigger}' (only from: {', '.join(allowed)})")
        self.current = current
        self.trigger = trigger


def initial_status(explainable: bool) -> RecordStatus:
    """The status a record is published in."""
    return S.AWAITING_EXPLANATION if explainable else S.PUBLISHED


def next_status(current: str, trigger: Trigger) -> RecordStatus:
    """The status after trigger; raise IllegalTransition when the trigger does not apply."""
    try:
        return TRANSITIONS[(RecordStatus(current), trigger)]
    except (KeyError, ValueError):
        raise IllegalTransition(current, trigger) from None
