"""The responsiveness figures shaped for the page and the CSV: labels, percentages and charts, formatted once."""

from dataclasses import dataclass

from bluemap_portal.dashboard.charts import BarChart, bar_chart
from bluemap_portal.dashboard.schemas import GroupStatistics, Responsiveness
from bluemap_portal.record_types import RECORD_TYPES
from bluemap_portal.regions import province_name
from bluemap_portal.site.i18n import N_, gettext

UNKNOWN = N_("Unknown")
ALL_RECORDS = N_("All records")
SHARE_TITLE = N_("share of records explained")
SHARE_DESCRIPTION = N_(
    "Bars give the percentage of public records with a published explanation; the table below holds the numbers."
)
DAYS_TITLE = N_("median working days to an explanation")
DAYS_DESCRIPTION = N_(
    "Bars give the median working days from publication to the first explanation; the table below holds the numbers."
)
BREAKDOWN_TITLES = {
    "record_type": N_("By record type"),
    "region": N_("By province"),
    "month": N_("By month of publication"),
}


def key_label(breakdown: str, key: str | None, lang: str) -> str:
    """A group's key as readers know it: the type's label, the province's name, the month."""
    if key is None:
        return gettext(lang, UNKNOWN if breakdown != "overall" else ALL_RECORDS)
    if breakdown == "record_type":
        known = RECORD_TYPES.get(key)
        return known.label(lang) if known else key
    if breakdown == "region":
        return province_name(key, lang) or key
    return key


def percent(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)}%"


def days_text(days: int | None) -> str:
    return "—" if days is None else str(days)


@dataclass(frozen=True)
class GroupRow:
    """One table row of a breakdown."""

    label: str
    figures: GroupStatistics
    explained_percent: str
    overdue_percent: str
    median: str
    p90: str
    review: str


@dataclass(frozen=True)
class BreakdownView:
    """A breakdown's title, its two charts and the table of its numbers."""

    code: str
    title: str
    share_chart: BarChart
    days_chart: BarChart
    rows: list[GroupRow]


def group_row(breakdown: str, group: GroupStatistics, lang: str) -> GroupRow:
    return GroupRow(
        label=key_label(breakdown, group.key, lang),
        figures=group,
        explained_percent=percent(group.explained_share),
        overdue_percent=percent(group.overdue_share),
        median=days_text(group.median_days),
        p90=days_text(group.p90_days),
        review=days_text(group.median_review_days),
    )


def breakdown_view(code: str, groups: list[GroupStatistics], lang: str) -> BreakdownView:
    """The charts and table of one breakdown."""
    rows = [group_row(code, g, lang) for g in groups]
    title = gettext(lang, BREAKDOWN_TITLES[code])
    share_chart = bar_chart(
        f"chart-{code}-explained",
        f"{title}: " + gettext(lang, SHARE_TITLE),
        gettext(lang, SHARE_DESCRIPTION),
        [(r.label, r.figures.explained_share, r.explained_percent) for r in rows],
        maximum=1.0,
    )
    days_chart = bar_chart(
        f"chart-{code}-days",
        f"{title}: " + gettext(lang, DAYS_TITLE),
        gettext(lang, DAYS_DESCRIPTION),
        [(r.label, r.figures.median_days, r.median) for r in rows],
    )
    return BreakdownView(code=code, title=title, share_chart=share_chart, days_chart=days_chart, rows=rows)


def dashboard_view(figures: Responsiveness, lang: str) -> list[BreakdownView]:
    return [
        breakdown_view("record_type", figures.by_record_type, lang),
        breakdown_view("region", figures.by_region, lang),
        breakdown_view("month", figures.by_month, lang),
    ]


CSV_HEADER = (
    "breakdown",
    "key",
    "label",
    "records",
    "explained",
    "explained_share",
    "median_working_days",
    "p90_working_days",
    "overdue",
    "overdue_share",
    "median_review_working_days",
)


def csv_rows(figures: Responsiveness, lang: str) -> list[list[object]]:
    """The CSV's rows after its header: the whole scope, then each breakdown's groups."""
    groups = [("overall", figures.overall)]
    groups += [("record_type", g) for g in figures.by_record_type]
    groups += [("region", g) for g in figures.by_region]
    groups += [("month", g) for g in figures.by_month]
    return [
        [
            breakdown,
            g.key or "",
            key_label(breakdown, g.key, lang),
            g.records,
            g.explained,
            "" if g.explained_share is None else f"{g.explained_share:.4f}",
            "" if g.median_days is None else g.median_days,
            "" if g.p90_days is None else g.p90_days,
            g.overdue,
            "" if g.overdue_share is None else f"{g.overdue_share:.4f}",
            "" if g.median_review_days is None else g.median_review_days,
        ]
        for breakdown, g in groups
    ]
