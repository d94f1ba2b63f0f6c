"""Working days on China's calendar (public holidays and adjusted working weekends, chinese-calendar)."""

from collections.abc import Iterator
from datetime import date, timedelta

import chinese_calendar

# The span the calendar table holds; a date outside it counts no working days.
CALENDAR_FIRST = date(2000, 1, 1)
CALENDAR_LAST = date(2060, 12, 31)


def covered_years() -> range:
    """The years chinese-calendar knows the State Council's holiday arrangements for."""
    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    return range(years[0], years[-1] + 1)


def is_working_day(day: date) -> bool:
    """A working day in China; outside the years the package covers, Monday to Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def working_days_between(start: date, end: date) -> int:
    """The working days after start up to and including end (0 when end is not after start)."""
    return sum(1 for offset in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=offset)))


def calendar_rows(first: date = CALENDAR_FIRST, last: date = CALENDAR_LAST) -> Iterator[dict[str, object]]:
    """Every day of the span with its ordinal: the working days from first up to and including that day.

    working_days_between(a, b) is ordinal(b) - ordinal(a), which lets SQL count by two lookups.
    """
    ordinal = 0
    day = first
    while day <= last:
        if is_working_day(day):
            ordinal += 1
        yield {"day": day, "ordinal": ordinal}
        day += timedelta(days=1)
