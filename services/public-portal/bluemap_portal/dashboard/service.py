"""Responsiveness statistics from the histograms: shares, median and 90th percentile, overdue."""

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from bluemap_portal.dashboard.repository import HistogramRow, Scope, histogram, histograms
from bluemap_portal.dashboard.schemas import GroupStatistics, Responsiveness


def percentile(counts: dict[int, int], share: float) -> int | None:
    """The nearest-rank percentile of values given as {value: how many}: the least value with at least
    share of all at or below it; None when there are none."""
    total = sum(counts.values())
    if total == 0:
        return None
    # Rounded first: 0.9 * 10 is 9.000000000000002 in binary floating point, whose ceiling is 10.
    rank = max(1, math.ceil(round(share * total, 9)))
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    return max(counts)  # pragma: no cover - rank never exceeds the total


def group_statistics(key: str | None, rows: Iterable[HistogramRow]) -> GroupStatistics:
    """One group's figures from its histogram rows."""
    records = explained = overdue = 0
    days: dict[int, int] = defaultdict(int)
    review: dict[int, int] = defaultdict(int)
    for row in rows:
        records += row.count
        explained += row.count if row.explained else 0
        overdue += row.count if row.overdue else 0
        if row.explained and row.days is not None:
            days[max(row.days, 0)] += row.count
        if row.explained and row.review_days is not None:
            review[max(row.review_days, 0)] += row.count
    return GroupStatistics(
        key=key,
        records=records,
        explained=explained,
        explained_share=explained / records if records else None,
        median_days=percentile(days, 0.5),
        p90_days=percentile(days, 0.9),
        overdue=overdue,
        overdue_share=overdue / records if records else None,
        median_review_days=percentile(review, 0.5),
    )


def grouped(rows: Iterable[HistogramRow]) -> list[GroupStatistics]:
    """Figures per key, in key order."""
    by_key: dict[str | None, list[HistogramRow]] = defaultdict(list)
    for row in rows:
        by_key[row.key].append(row)
    return [group_statistics(k, by_key[k]) for k in sorted(by_key, key=lambda k: (k is None, k or ""))]


async def overall(connection: AsyncConnection, scope: Scope, today: date) -> GroupStatistics:
    """The figures of the whole scope."""
    return group_statistics(None, await histogram(connection, scope, None, today))


async def responsiveness(connection: AsyncConnection, scope: Scope, today: date) -> Responsiveness:
    """The whole scope's figures and each breakdown's (type, province, month of publication)."""
    found = await histograms(connection, scope, today)
    breakdowns = {b: grouped(rows) for b, rows in found.items()}
    # The whole is the sum of any breakdown's histogram: no extra query.
    total = found["record_type"]
    return Responsiveness(
        today=today,
        enterprise_id=scope.enterprise_id,
        region=scope.region,
        record_type=scope.record_type,
        overall=group_statistics(None, total),
        by_record_type=breakdowns["record_type"],
        by_region=breakdowns["region"],
        by_month=breakdowns["month"],
    )
