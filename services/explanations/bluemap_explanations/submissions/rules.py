"""The pure rules of a submission: its statuses only ever move forward."""

import enum


class SubmissionStatus(enum.StrEnum):
    """Sent, then its PDF rendered, then the signed scan uploaded, then every explanation decided."""

    SENT = "sent"
    PDF_RENDERED = "pdf_rendered"
    SIGNED = "signed"
    REVIEWED = "reviewed"


OPEN = (SubmissionStatus.SENT, SubmissionStatus.PDF_RENDERED, SubmissionStatus.SIGNED)
_ORDER = list(SubmissionStatus)


def advanced(current: str, reached: SubmissionStatus) -> SubmissionStatus:
    """The status after a step that reaches `reached`; never back, since events may arrive out of order."""
    now = SubmissionStatus(current)
    return reached if _ORDER.index(reached) > _ORDER.index(now) else now


def without_scan(current: str, *, rendered: bool) -> SubmissionStatus:
    """The status once the signed scan in force is refused: waiting for another, unless all is decided."""
    now = SubmissionStatus(current)
    if now is not SubmissionStatus.SIGNED:
        return now
    return SubmissionStatus.PDF_RENDERED if rendered else SubmissionStatus.SENT


class ItemOutcome(enum.StrEnum):
    """What review made of one explanation of a submission."""

    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
