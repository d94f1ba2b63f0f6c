"""The responsiveness queries: one set-based histogram per breakdown, never a row per record."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Date, Select, and_, case, cast, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from bluemap_portal.dashboard.models import PortalWorkingDay
from bluemap_portal.enterprises.models import PortalEnterprise
from bluemap_portal.explanations.models import PortalExplanation
from bluemap_portal.records.models import PortalRecord
from bluemap_portal.records.service import PUBLIC_STATUSES, PUBLISHED

# The breakdowns a histogram can be grouped by (besides none: the whole tenant).
# Records that can be explained: "published" is the status of those that need no explanation.
EXPLAINABLE_STATUSES = tuple(s for s in PUBLIC_STATUSES if s != PUBLISHED)

BREAKDOWNS = ("record_type", "region", "month")

records = PortalRecord.__table__  # type: ignore[attr-defined]
explanations = PortalExplanation.__table__  # type: ignore[attr-defined]
enterprises = PortalEnterprise.__table__  # type: ignore[attr-defined]
calendar = PortalWorkingDay.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Scope:
    """Which records the statistics count: a tenant's public ones, narrowed by enterprise, region or type."""

    tenant_id: str
    enterprise_id: UUID | None = None
    region: str | None = None  # a GB/T 2260 prefix
    record_type: str | None = None


@dataclass(frozen=True)
class HistogramRow:
    """How many records of one group share these outcomes."""

    key: str | None
    explained: bool
    overdue: bool
    days: int | None  # working days from publication to the first explanation
    review_days: int | None  # working days from the explanation's sending to its publication
    count: int


def _china_day(dialect: str, instant: Any) -> ColumnElement[Any]:
    """The date in China of a stored UTC instant, in SQL."""
    if dialect == "postgresql":
        return cast(func.timezone("Asia/Shanghai", instant), Date)
    return func.date(instant, "+8 hours")


def _month(dialect: str, instant: Any) -> ColumnElement[Any]:
    """The month in China (YYYY-MM) of a stored UTC instant, in SQL."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", instant), "YYYY-MM")
    return func.strftime("%Y-%m", instant, "+8 hours")


def histogram_query(dialect: str, scope: Scope, breakdowns: Sequence[str | None], today: date) -> Select[Any]:
    """The scope's records grouped by each breakdown's key and outcome, with their counts.

    Several breakdowns are grouping sets of one scan (PostgreSQL): column key_<i> holds breakdown i's key,
    and the bitmask "set" tells which breakdown a row belongs to (bit len-1-i clear for breakdown i).
    """
    first_where = [explanations.c.tenant_id == scope.tenant_id]
    if scope.enterprise_id is not None:
        # One enterprise's explanations through its index, not every explanation of the tenant.
        first_where.append(explanations.c.enterprise_id == scope.enterprise_id)
    first = (
        select(
            explanations.c.record_id,
            func.min(explanations.c.published_at).label("at"),
            func.min(explanations.c.submitted_at).label("sent_at"),
        )
        .where(*first_where)
        .group_by(explanations.c.record_id)
        .subquery("first")
    )
    published_on = calendar.alias("published_on")
    explained_on = calendar.alias("explained_on")
    sent_on = calendar.alias("sent_on")
    explained = first.c.at.is_not(None)
    explained_day = _china_day(dialect, first.c.at)
    overdue = and_(
        records.c.explanation_due_on.is_not(None),
        case(
            (explained, explained_day > records.c.explanation_due_on),
            else_=literal(today, Date) > records.c.explanation_due_on,
        ),
    )
    keys: dict[str | None, ColumnElement[Any]] = {
        None: literal(None).label("key"),
        "record_type": records.c.record_type,
        "region": func.substr(enterprises.c.region_code, 1, 2),
        "month": _month(dialect, records.c.published_at),
    }
    key_columns = [keys[b].label(f"key_{i}") for i, b in enumerate(breakdowns)]
    days = (explained_on.c.ordinal - published_on.c.ordinal).label("days")
    review_days = (explained_on.c.ordinal - sent_on.c.ordinal).label("review_days")
    overdue_flag = case((overdue, 1), else_=0).label("overdue")
    explained_flag = case((explained, 1), else_=0).label("explained")
    outcome = (explained_flag, overdue_flag, days, review_days)
    columns: list[Any] = [*key_columns, *outcome, func.count().label("n")]
    if len(key_columns) > 1:
        columns.append(func.grouping(*key_columns).label("set"))
        grouping: list[Any] = [func.grouping_sets(*(tuple_(k, *outcome) for k in key_columns))]
    else:
        grouping = [*key_columns, *outcome]
    query = (
        select(*columns)
        .select_from(records)
        .outerjoin(
            enterprises,
            and_(enterprises.c.id == records.c.enterprise_id, enterprises.c.tenant_id == records.c.tenant_id),
        )
        .outerjoin(first, first.c.record_id == records.c.id)
        .outerjoin(published_on, published_on.c.day == _china_day(dialect, records.c.published_at))
        .outerjoin(explained_on, explained_on.c.day == explained_day)
        .outerjoin(sent_on, sent_on.c.day == _china_day(dialect, first.c.sent_at))
        .where(
            records.c.tenant_id == scope.tenant_id,
            records.c.status.in_(EXPLAINABLE_STATUSES),
            records.c.retracted_at.is_(None),
        )
        .group_by(*grouping)
    )
    if scope.enterprise_id is not None:
        query = query.where(records.c.enterprise_id == scope.enterprise_id)
    if scope.record_type is not None:
        query = query.where(records.c.record_type == scope.record_type)
    if scope.region is not None:
        query = query.where(enterprises.c.region_code.startswith(scope.region, autoescape=True))
    return query


def _row(row: Any, key: Any) -> HistogramRow:
    return HistogramRow(
        key=None if key is None else str(key),
        explained=bool(row.explained),
        overdue=bool(row.overdue),
        days=row.days,
        review_days=row.review_days,
        count=row.n,
    )


async def histogram(
    connection: AsyncConnection, scope: Scope, breakdown: str | None, today: date
) -> list[HistogramRow]:
    """Records grouped by breakdown and outcome; percentiles come from the counts, so any dialect works."""
    query = histogram_query(connection.dialect.name, scope, [breakdown], today)
    return [_row(row, row.key_0) for row in (await connection.execute(query)).all()]


async def histograms(connection: AsyncConnection, scope: Scope, today: date) -> dict[str, list[HistogramRow]]:
    """Every breakdown's histogram: on PostgreSQL in one scan (grouping sets), elsewhere one query each."""
    if connection.dialect.name != "postgresql":
        return {b: await histogram(connection, scope, b, today) for b in BREAKDOWNS}
    query = histogram_query(connection.dialect.name, scope, BREAKDOWNS, today)
    found: dict[str, list[HistogramRow]] = {b: [] for b in BREAKDOWNS}
    last = len(BREAKDOWNS) - 1
    for row in (await connection.execute(query)).all():
        index = next(i for i in range(len(BREAKDOWNS)) if not row.set & (1 << (last - i)))
        found[BREAKDOWNS[index]].append(_row(row, row[index]))
    return found
