"""The responsiveness dashboard on PostgreSQL: records and explanations fed as events give the expected figures,
and the page, the API and the CSV say the same."""

import csv
import io
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest
from portal_testing import (
    Start,
    client,
    envelope,
    explanation_published,
    feed,
    published,
    registered,
    snapshot,
)

pytestmark = pytest.mark.integration


def at(day: date) -> datetime:
    """10:00 in China on day."""
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)


async def fed(svc: Any) -> dict[str, Any]:
    """Two enterprises in two provinces, records of two types over three months, some explained."""
    a_id, b_id = uuid4(), uuid4()
    a = snapshot(a_id, region_code="610100")
    b = snapshot(b_id, uscc="91110000100000000X", name="北京某某化工有限公司", region_code="110000")
    supervision, rectification = "environmental_supervision", "rectification_order"
    a1 = published(
        a, record_type=supervision, published_at=at(date(2025, 9, 26)), explanation_due_on=date(2025, 10, 20)
    )
    a2 = published(a, record_type=supervision, published_at=at(date(2025, 11, 3)), explanation_due_on=date(2025, 11, 4))
    a3 = published(
        a, record_type=rectification, published_at=at(date(2025, 11, 3)), explanation_due_on=date(2025, 11, 10)
    )
    a4 = published(a, record_type="emissions_data", explainable=False, explanation_due_on=None)
    b1 = published(
        b, record_type=rectification, published_at=at(date(2025, 12, 1)), explanation_due_on=date(2099, 1, 1)
    )
    b2 = published(b, record_type=supervision, published_at=at(date(2025, 12, 1)), explanation_due_on=date(2099, 1, 1))
    await feed(
        svc,
        envelope(registered(a)),
        envelope(registered(b)),
        *(envelope(r) for r in (a1, a2, a3, a4, b1, b2)),
        # Across National Day 2025 and the working Saturday 11 October: 7 working days; reviewed in 2.
        envelope(
            explanation_published(
                a1.record_id, a_id, published_at=at(date(2025, 10, 13)), submitted_at=at(date(2025, 10, 10))
            )
        ),
        # A second, later explanation of the same record changes nothing: the first one counts.
        envelope(explanation_published(a1.record_id, a_id, published_at=at(date(2025, 12, 20)))),
        # 2 working days, but after its due date: overdue; reviewed the day it was sent.
        envelope(
            explanation_published(
                a2.record_id, a_id, published_at=at(date(2025, 11, 5)), submitted_at=at(date(2025, 11, 5))
            )
        ),
        # 8 working days; an explanation from before submitted_at was carried has no review time.
        envelope(explanation_published(b1.record_id, b_id, published_at=at(date(2025, 12, 11)))),
    )
    return {"a": a_id, "b": b_id}


def figures(groups: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {g["key"]: (g["records"], g["explained"], g["median_days"], g["p90_days"], g["overdue"]) for g in groups}


async def test_figures_per_enterprise_region_type_and_month(start: Start) -> None:
    async with start() as svc:
        ids = await fed(svc)
        async with client(svc.app) as api:
            whole = (await api.get("/v1/responsiveness")).json()
            of_a = (await api.get("/v1/responsiveness", params={"enterprise_id": str(ids["a"])})).json()
            beijing = (await api.get("/v1/responsiveness", params={"region": "11"})).json()
            bad = await api.get("/v1/responsiveness", params={"record_type": "nonsense"})
    overall = whole["overall"]
    assert (overall["records"], overall["explained"], overall["explained_share"]) == (5, 3, 0.6)
    assert (overall["median_days"], overall["p90_days"]) == (7, 8)
    assert (overall["overdue"], overall["overdue_share"]) == (2, 0.4)
    assert overall["median_review_days"] == 0
    assert figures(whole["by_record_type"]) == {
        "environmental_supervision": (3, 2, 2, 7, 1),
        "rectification_order": (2, 1, 8, 8, 1),
    }
    assert figures(whole["by_region"]) == {"11": (2, 1, 8, 8, 0), "61": (3, 2, 2, 7, 2)}
    assert figures(whole["by_month"]) == {
        "2025-09": (1, 1, 7, 7, 0),
        "2025-11": (2, 1, 2, 2, 2),
        "2025-12": (2, 1, 8, 8, 0),
    }
    assert (of_a["overall"]["records"], of_a["overall"]["explained"], of_a["overall"]["median_days"]) == (3, 2, 2)
    assert of_a["overall"]["median_review_days"] == 0
    assert (beijing["overall"]["records"], beijing["overall"]["overdue"]) == (2, 0)
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"


async def test_page_renders_charts_and_tables_that_agree_with_api_and_csv(start: Start) -> None:
    async with start() as svc:
        ids = await fed(svc)
        async with client(svc.app) as api, client(svc.site) as site:
            api_figures = (await api.get("/v1/responsiveness")).json()
            page = await site.get("/dashboard", params={"lang": "en"})
            table = await site.get("/dashboard.csv", params={"lang": "en"})
            enterprise_page = await site.get(f"/enterprises/{ids['a']}", params={"lang": "en"})
            bad = await site.get("/dashboard", params={"region": "x"})
    assert page.status_code == 200
    html = page.text
    assert html.count('<svg role="img"') == 6
    assert '<title id="chart-record_type-explained-title">' in html
    assert '<desc id="chart-record_type-explained-desc">' in html
    assert html.count("<table") == 3
    assert '<th scope="row">Environmental Supervision Records</th>' in html
    rows = list(csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert table.headers["content-type"].startswith("text/csv")
    by_key = {(r["breakdown"], r["key"]): r for r in rows}
    for breakdown in ("record_type", "region", "month"):
        for group in api_figures[f"by_{breakdown}"]:
            row = by_key[(breakdown, group["key"])]
            assert int(row["records"]) == group["records"]
            assert int(row["explained"]) == group["explained"]
            assert int(row["median_working_days"]) == group["median_days"]
            assert int(row["p90_working_days"]) == group["p90_days"]
            assert int(row["overdue"]) == group["overdue"]
            # The page's table shows the same numbers in the same row.
            cells = f"<td>{group['records']}</td>\n    <td>{group['explained']}</td>"
            assert f'<th scope="row">{row["label"]}</th>\n    {cells}' in html
    assert by_key[("overall", "")]["explained_share"] == "0.6000"
    assert "explains 2 of 3 records, median 2 working days" in enterprise_page.text
    assert bad.status_code == 400
