"""Explanation deadlines on China's official working-day calendar."""

from datetime import date, timedelta

import chinese_calendar

EXPLANATION_WORKING_DAYS = 10


def add_working_days(start: date, days: int) -> date:
    """The date `days` official working days after start (holidays and adjusted weekends honoured).

    Outside the years the calendar package knows, weekends alone count as rest days.
    """
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        try:
            working = chinese_calendar.is_workday(current)
        except NotImplementedError:
            working = current.weekday() < 5
        if working:
            remaining -= 1
    return current
