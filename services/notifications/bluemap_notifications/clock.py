"""Dates as the enterprises live them: China Standard Time (UTC+8, no daylight saving since 1991)."""

from datetime import date, datetime, timedelta, timezone

from bluemap_shared.db import utcnow

CHINA = timezone(timedelta(hours=8), "CST")


def china_today(now: datetime | None = None) -> date:
    """The calendar date in China at now (default: the current time)."""
    return (now or utcnow()).astimezone(CHINA).date()
