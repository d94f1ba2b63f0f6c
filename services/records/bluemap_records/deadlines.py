"""Explanation deadlines on China's official working-day calendar."""

import functools
from datetime import date, datetime, timedelta, timezone

import chinese_calendar

EXPLANATION_WORKING_DAYS = 10
CHINA = timezone(timedelta(hours=8), "CST")  # China Standard Time has no daylight saving


@functools.lru_cache(maxsize=4096)
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


def china_date(moment: datetime) -> date:
    """The calendar date in China at an aware moment."""
    return moment.astimezone(CHINA).date()


def explanation_deadline(since: datetime) -> date:
    """The last day to explain: 10 working days after the day (in China) of since."""
    return add_working_days(china_date(since), EXPLANATION_WORKING_DAYS)
