"""Pure deadline rules: when reminders fall due, whether one still goes out."""

import enum
from dataclasses import dataclass
from datetime import date, timedelta

AWAITING_EXPLANATION = "awaiting_explanation"
RESTORED = "restored"
PUBLISHED = "published"
# The records service's statuses in which the enterprise owes an explanation (a restore starts a new deadline).
OPEN_STATUSES = frozenset({AWAITING_EXPLANATION, RESTORED})


class ReminderKind(enum.StrEnum):
    AHEAD = "ahead"  # reminder_days_before days before the deadline
    DUE_DAY = "due-day"  # on the deadline itself


class Decision(enum.StrEnum):
    SEND = "send"
    CANCEL = "cancel"
    EXPIRE = "expire"


@dataclass(frozen=True)
class RecordState:
    """Where a record stands, as the reminder decision needs it."""

    status: str
    explanation_due_on: date | None
    retracted: bool


def initial_status(explainable: bool) -> str:
    """The status a record starts in (the records service's rule)."""
    return AWAITING_EXPLANATION if explainable else PUBLISHED


def reminder_dates(due_on: date, days_before: int) -> list[tuple[ReminderKind, date]]:
    """The reminders of one deadline: days_before days ahead (unless 0) and on the day."""
    dates = [(ReminderKind.DUE_DAY, due_on)]
    if days_before > 0:
        dates.insert(0, (ReminderKind.AHEAD, due_on - timedelta(days=days_before)))
    return dates


def worth_scheduling(remind_on: date, today: date) -> bool:
    """Only reminders of days still to come: a record published late needs no reminder the same day as its email."""
    return remind_on > today


def decide(*, kind: ReminderKind, due_on: date, record: RecordState | None, today: date) -> Decision:
    """Whether a due reminder goes out: only while its deadline stands and the record awaits an explanation."""
    if today > due_on or (kind is ReminderKind.AHEAD and today >= due_on):
        # On the day itself the due-day reminder speaks; a late ahead reminder would repeat it.
        return Decision.EXPIRE
    if record is None or record.retracted or record.explanation_due_on != due_on:
        return Decision.CANCEL
    if record.status not in OPEN_STATUSES:
        return Decision.CANCEL
    return Decision.SEND


def days_left(due_on: date, today: date) -> int:
    """Whole days from today to the deadline (0 on the day itself)."""
    return (due_on - today).days
