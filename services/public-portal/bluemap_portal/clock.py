"""Dates as the public reads them: China Standard Time (UTC+8, no daylight saving since 1991)."""

from datetime import date, datetime, timedelta, timezone

from bluemap_shared.db import utcnow

CHINA = timezone(timedelta(hours=8), "CST")


def china_today(now: datetime | None = None) -> date:
    """The calendar date in China at now (default: the current time)."""
    return (now or utcnow()).astimezone(CHINA).date()


def china_date(value: datetime) -> date:
    """The calendar date in China of an instant."""
    return value.astimezone(CHINA).date()


def china_year(year: int) -> tuple[datetime, datetime]:
    """The instants a calendar year in China starts and ends (the end excluded)."""
    return datetime(year, 1, 1, tzinfo=CHINA), datetime(year + 1, 1, 1, tzinfo=CHINA)


def china_years(first: datetime | None, last: datetime | None) -> list[int]:
    """The years in China from first to last, newest first; none without both."""
    if first is None or last is None:
        return []
    return list(range(china_date(last).year, china_date(first).year - 1, -1))
