"""The workflow of a submission: one transition table, which status follows which step (pure, no I/O).

The Submission of the explanations service owns this workflow. Documents' events (PdfRendered,
PdfSigned) and the reviewer's command are steps of this table; nothing else moves a submission.
"""

import enum


class SubmissionStatus(enum.StrEnum):
    """Where a submission stands."""

    SENT = "sent"  # waiting for its PDF
    PDF_RENDERED = "pdf_rendered"  # PDF emailed: waiting for the signed scan
    SIGNED = "signed"  # the signed scan arrived: waiting for a reviewer
    UNDER_REVIEW = "under_review"  # a reviewer opened it: a new scan sends it back to signed
    PUBLISHED = "published"  # every explanation and the scan approved: public
    RETURNED = "returned"  # an explanation rejected: back to the enterprise for a new Send


class Step(enum.StrEnum):
    """What happens to a submission, and who makes it happen."""

    RENDER = "render"  # documents' PdfRendered
    SIGN = "sign"  # documents' PdfSigned (a first scan, or one replacing the scan in force)
    OPEN_REVIEW = "open_review"  # a reviewer takes it
    PUBLISH = "publish"  # review: every explanation and the scan approved
    RETURN = "return"  # review: some explanation rejected
    REFUSE_SCAN = "refuse_scan"  # review: the explanations would do, the scan does not


S = SubmissionStatus

TRANSITIONS: dict[tuple[SubmissionStatus, Step], SubmissionStatus] = {
    (S.SENT, Step.RENDER): S.PDF_RENDERED,
    (S.PDF_RENDERED, Step.SIGN): S.SIGNED,
    (S.SIGNED, Step.SIGN): S.SIGNED,
    (S.UNDER_REVIEW, Step.SIGN): S.SIGNED,
    (S.SIGNED, Step.OPEN_REVIEW): S.UNDER_REVIEW,
    (S.SIGNED, Step.PUBLISH): S.PUBLISHED,
    (S.UNDER_REVIEW, Step.PUBLISH): S.PUBLISHED,
    (S.SIGNED, Step.REFUSE_SCAN): S.PDF_RENDERED,
    (S.UNDER_REVIEW, Step.REFUSE_SCAN): S.PDF_RENDERED,
    # An obviously wrong explanation may go back before its scan arrives, never before its PDF exists.
    (S.PDF_RENDERED, Step.RETURN): S.RETURNED,
    (S.SIGNED, Step.RETURN): S.RETURNED,
    (S.UNDER_REVIEW, Step.RETURN): S.RETURNED,
}

# Waiting for the enterprise or a reviewer: the review queue's default.
OPEN = (S.SENT, S.PDF_RENDERED, S.SIGNED, S.UNDER_REVIEW)
CLOSED = frozenset({S.PUBLISHED, S.RETURNED})
# The statuses the submissions of the old two-machine model had here, and what each becomes.
LEGACY_STATUSES = ("sent", "pdf_rendered", "signed", "reviewed")


class IllegalStep(Exception):
    """The step does not apply to the submission's status."""

    def __init__(self, current: str, step: Step) -> None:
        allowed = sorted(str(status) for status, s in TRANSITIONS if s is step)
        super().__init__(f"a submission {current} cannot take '{step}' (only from: {', '.join(allowed)})")
        self.current = current
        self.step = step


def next_status(current: str, step: Step) -> SubmissionStatus:
    """The status after step; raise IllegalStep when the table has no such transition."""
    try:
        return TRANSITIONS[(SubmissionStatus(current), step)]
    except (KeyError, ValueError):
        raise IllegalStep(current, step) from None


def allows(current: str, step: Step) -> bool:
    try:
        return (SubmissionStatus(current), step) in TRANSITIONS
    except ValueError:
        return False


class Verdict(enum.StrEnum):
    """A reviewer's decision on one explanation or on the signed scan."""

    APPROVED = "approved"
    REJECTED = "rejected"


def review_step(explanations: list[Verdict], scan: Verdict) -> Step:
    """The step a whole review takes: any rejected explanation returns the submission; else the scan decides."""
    if any(v is Verdict.REJECTED for v in explanations):
        return Step.RETURN
    return Step.PUBLISH if scan is Verdict.APPROVED else Step.REFUSE_SCAN


class ItemOutcome(enum.StrEnum):
    """What review made of one explanation of a submission."""

    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    RETURNED = "returned"  # approved, but another explanation of its submission was rejected
