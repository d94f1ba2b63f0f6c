"""Deadline rules: when reminders fall due, when they still go out, and which day it is in China."""

from datetime import UTC, date, datetime

import pytest

from bluemap_notifications.clock import china_today
from bluemap_notifications.deadlines.schedule import (
    Decision,
    RecordState,
    ReminderKind,
    days_left,
    decide,
    initial_status,
    reminder_dates,
    worth_scheduling,
)

AHEAD, DUE_DAY = ReminderKind.AHEAD, ReminderKind.DUE_DAY

DUE = date(2024, 5, 17)


def awaiting(due_on: date = DUE, **changes: object) -> RecordState:
    fields: dict[str, object] = {"status": "awaiting_explanation", "explanation_due_on": due_on, "retracted": False}
    return RecordState(**(fields | changes))  # type: ignore[arg-type]


def test_reminders_fall_days_before_and_on_the_deadline() -> None:
    assert reminder_dates(DUE, 3) == [(ReminderKind.AHEAD, date(2024, 5, 14)), (ReminderKind.DUE_DAY, DUE)]


def test_reminders_cross_month_and_year_boundaries() -> None:
    assert reminder_dates(date(2025, 1, 2), 3)[0] == (ReminderKind.AHEAD, date(2024, 12, 30))
    assert reminder_dates(date(2024, 3, 1), 1)[0] == (ReminderKind.AHEAD, date(2024, 2, 29))


def test_zero_days_before_means_only_the_due_day() -> None:
    assert reminder_dates(DUE, 0) == [(ReminderKind.DUE_DAY, DUE)]


def test_a_record_awaiting_its_explanation_is_reminded_until_the_deadline() -> None:
    assert decide(kind=AHEAD, due_on=DUE, record=awaiting(), today=date(2024, 5, 14)) is Decision.SEND
    assert decide(kind=AHEAD, due_on=DUE, record=awaiting(), today=date(2024, 5, 16)) is Decision.SEND  # late
    assert decide(kind=DUE_DAY, due_on=DUE, record=awaiting(), today=DUE) is Decision.SEND
    assert decide(kind=DUE_DAY, due_on=DUE, record=awaiting(), today=date(2024, 5, 18)) is Decision.EXPIRE


def test_a_restored_record_owes_an_explanation_again_and_is_reminded_of_its_new_deadline() -> None:
    restored = awaiting(status="restored")
    assert decide(kind=AHEAD, due_on=DUE, record=restored, today=date(2024, 5, 14)) is Decision.SEND
    assert decide(kind=DUE_DAY, due_on=DUE, record=restored, today=DUE) is Decision.SEND


def test_on_the_due_day_only_the_due_day_reminder_goes_out() -> None:
    assert decide(kind=AHEAD, due_on=DUE, record=awaiting(), today=DUE) is Decision.EXPIRE


def test_only_days_still_to_come_are_scheduled() -> None:
    today = date(2024, 5, 14)
    assert worth_scheduling(date(2024, 5, 15), today)
    assert not worth_scheduling(today, today)
    assert not worth_scheduling(date(2020, 3, 13), today)


@pytest.mark.parametrize(
    "record",
    [
        None,
        awaiting(status="explanation_submitted"),
        awaiting(status="under_review"),
        awaiting(status="explained"),
        awaiting(status="resolved"),
        awaiting(retracted=True),
        awaiting(due_on=date(2024, 5, 24)),  # the deadline moved: the old reminder is void
    ],
)
def test_a_record_that_moved_on_gets_no_reminder(record: RecordState | None) -> None:
    assert decide(kind=AHEAD, due_on=DUE, record=record, today=date(2024, 5, 14)) is Decision.CANCEL
    assert decide(kind=DUE_DAY, due_on=DUE, record=record, today=DUE) is Decision.CANCEL


def test_days_left_and_initial_status() -> None:
    assert days_left(DUE, date(2024, 5, 14)) == 3
    assert days_left(DUE, DUE) == 0
    assert initial_status(True) == "awaiting_explanation"
    assert initial_status(False) == "published"


def test_the_day_is_the_day_in_china() -> None:
    assert china_today(datetime(2024, 5, 16, 15, 59, tzinfo=UTC)) == date(2024, 5, 16)
    assert china_today(datetime(2024, 5, 16, 16, 0, tzinfo=UTC)) == date(2024, 5, 17)
