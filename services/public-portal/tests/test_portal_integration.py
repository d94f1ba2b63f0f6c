"""The public portal on real PostgreSQL: events in, pages and JSON out."""

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from portal_testing import (
    AUTHORITY,
    NAME,
    TITLE,
    USCC,
    Start,
    client,
    envelope,
    feed,
    published,
    registered,
    snapshot,
)
from sqlmodel import select
from starlette.routing import Mount

from bluemap_portal.records.models import PortalRecord
from bluemap_shared.events.catalog import RecordStatusChanged
from bluemap_shared.http import standalone_app

pytestmark = pytest.mark.integration


async def test_enterprise_page_shows_its_records_in_chinese_and_english(start: Start) -> None:
    enterprise_id = uuid4()
    company = snapshot(enterprise_id)
    async with start() as svc:
        await feed(
            svc,
            envelope(registered(company)),
            envelope(published(company)),
            envelope(
                published(
                    company,
                    record_type="emissions_data",
                    explainable=False,
                    explanation_due_on=None,
                    source_title="2021年重点排污单位排放数据",
                    issuing_authority="西安市生态环境局",
                    issued_on=date(2021, 6, 1),
                    year=2021,
                )
            ),
        )
        async with client(svc.site) as site:
            page = await site.get(f"/enterprises/{enterprise_id}")
            assert page.status_code == 200
            assert page.headers["content-type"].startswith("text/html")
            html = page.text
            assert '<html lang="zh-Hans">' in html
            assert f'<h1 lang="zh-Hans">{NAME}</h1>' in html
            assert "Shaanxi Yongan Xingqing Door Co., Ltd." in html
            assert USCC in html
            assert "610100" in html
            assert TITLE in html
            assert AUTHORITY in html
            assert "环境监管记录" in html
            assert "排放数据" in html
            assert html.index("环境监管记录") < html.index("排放数据")
            # Awaiting an explanation due on 2020-03-13: overdue ever since, computed when the page is read.
            assert "逾期未说明" in html
            assert "已公开" in html
            assert "2020年3月13日" in html
            assert "2020年2月20日" in html
            assert '<th scope="col">' in html
            assert '<th scope="row">' in html
            for landmark in ("<header", "<main", "<nav ", "<footer"):
                assert landmark in html
            assert 'href="/api/records/docs"' in html
            assert 'href="/api/public-portal/docs"' in html
            assert "<script" not in html
            assert "default-src 'none'" in page.headers["content-security-policy"]

            english = (await site.get(f"/enterprises/{enterprise_id}", params={"lang": "en"})).text
            assert '<html lang="en">' in english
            assert '<h1 lang="en">Shaanxi Yongan Xingqing Door Co., Ltd.</h1>' in english
            assert "Environmental Supervision Records" in english
            assert "Emissions Data" in english
            assert "Overdue" in english
            assert "Mar 13, 2020" in english
            assert TITLE in english  # the record's own text stays as published
            assert "?lang=en" in english  # links keep the language


async def test_the_record_shows_its_audit_state_with_reason_and_date_and_a_restore_its_new_deadline(
    start: Start,
) -> None:
    enterprise_id = uuid4()
    company = snapshot(enterprise_id)
    record = published(company)
    new_due = date(2020, 7, 1)

    def moved(status: str, reason: str, at: datetime, due: date | None = None) -> RecordStatusChanged:
        return RecordStatusChanged(
            record_id=record.record_id,
            enterprise_id=enterprise_id,
            previous_status="x",
            status=status,
            reason=reason,
            changed_at=at,
            explanation_due_on=due,
        )

    async with start() as svc:
        await feed(
            svc,
            envelope(registered(company)),
            envelope(record),
            envelope(moved("resolved", "第三方审核确认已整改 <b>", datetime(2020, 5, 1, 2, tzinfo=UTC))),
        )
        async with client(svc.site) as site:
            html = (await site.get(f"/enterprises/{enterprise_id}")).text
            assert 'class="status-resolved"' in html
            assert "第三方审核确认已整改 &lt;b&gt;" in html
            assert '<time datetime="2020-05-01T02:00:00+00:00">2020年5月1日</time>' in html
            english = (await site.get(f"/enterprises/{enterprise_id}", params={"lang": "en"})).text
            assert "Since" in english
            assert "May 1, 2020" in english
            await feed(svc, envelope(moved("restored", "复查发现未整改", datetime(2020, 6, 1, tzinfo=UTC), new_due)))
            html = (await site.get(f"/enterprises/{enterprise_id}", params={"lang": "zh"})).text
            assert "复查发现未整改" in html
            assert "第三方审核确认已整改" not in html
            assert "2020年7月1日" in html  # the deadline the restore started

    enterprise_id = uuid4()
    company = snapshot(enterprise_id, name="<b>坏</b>公司", name_en='"><script>alert(1)</script>')
    async with start() as svc:
        await feed(
            svc,
            envelope(
                published(
                    company,
                    source_title="<script>alert('title')</script>",
                    issuing_authority="<img src=x onerror=alert(1)>",
                    summary="</details><script>alert('summary')</script>",
                    source_url="javascript:alert(1)",
                )
            ),
        )
        async with client(svc.site) as site:
            html = (await site.get(f"/enterprises/{enterprise_id}")).text
            home = (await site.get("/")).text
    assert "<script" not in html
    assert "<script" not in home
    assert "<img" not in html
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;坏&lt;/b&gt;公司" in html
    assert "&lt;b&gt;坏&lt;/b&gt;公司" in home
    assert "javascript:" not in html


async def test_unknown_enterprise_gives_a_404_page(start: Start) -> None:
    async with start() as svc, client(svc.site) as site:
        for path in (f"/enterprises/{uuid4()}", "/enterprises/not-a-uuid", "/no/such/page"):
            page = await site.get(path)
            assert page.status_code == 404, path
            assert page.headers["content-type"].startswith("text/html")
            assert "没有找到该企业或页面" in page.text
        assert (await site.head("/")).status_code == 200
        english = await site.get(f"/enterprises/{uuid4()}", params={"lang": "en"})
        assert english.status_code == 404
        assert "There is no such enterprise" in english.text


async def test_search_by_name_substring_and_by_uscc(start: Start) -> None:
    first, second = uuid4(), uuid4()
    async with start() as svc:
        await feed(
            svc,
            envelope(registered(snapshot(first))),
            envelope(registered(snapshot(second, uscc="91110000100000000A", name="北京某化工有限公司", name_en=None))),
        )
        async with client(svc.site) as site:
            by_name = (await site.get("/", params={"q": "兴庆门业"})).text
            assert NAME in by_name
            assert "北京某化工" not in by_name
            by_uscc = (await site.get("/", params={"q": " 91110000100000000a "})).text
            assert "北京某化工有限公司" in by_uscc
            assert NAME not in by_uscc
            assert 'value="91110000100000000a"' in by_uscc
            recent = (await site.get("/")).text
            assert NAME in recent
            assert "北京某化工有限公司" in recent
            nothing = await site.get("/", params={"q": "%"})
            assert nothing.status_code == 200
            assert NAME not in nothing.text
            too_long = await site.get("/", params={"q": "x" * 500})
            assert too_long.status_code == 200

        async with client(svc.app) as api:
            found = (await api.get("/v1/enterprises", params={"q": "兴庆"})).json()
            assert [e["id"] for e in found] == [str(first)]
            found = (await api.get("/v1/enterprises", params={"q": "91110000100000000A"})).json()
            assert [e["id"] for e in found] == [str(second)]
            found = (await api.get("/v1/enterprises", params={"q": "yongan"})).json()
            assert [e["id"] for e in found] == [str(first)]
            assert len((await api.get("/v1/enterprises", params={"limit": 1})).json()) == 1
            invalid = await api.get("/v1/enterprises", params={"limit": 0})
            assert invalid.status_code == 422
            assert invalid.headers["content-type"] == "application/problem+json"


async def test_record_before_registration_and_out_of_order_snapshots(start: Start) -> None:
    enterprise_id = uuid4()
    now = datetime.now(UTC)
    renamed = snapshot(enterprise_id, name="陕西永安兴庆门业股份有限公司")
    async with start() as svc:
        # The record's event, carrying the newer name, overtakes the registration.
        await feed(svc, envelope(published(renamed), time=now))
        async with client(svc.site) as site:
            page = await site.get(f"/enterprises/{enterprise_id}")
            assert page.status_code == 200
            assert "陕西永安兴庆门业股份有限公司" in page.text
            assert TITLE in page.text

            await feed(svc, envelope(registered(snapshot(enterprise_id)), time=now - timedelta(minutes=5)))
            html = (await site.get(f"/enterprises/{enterprise_id}")).text
            assert "陕西永安兴庆门业股份有限公司" in html  # the older event does not undo the newer

            await feed(svc, envelope(registered(snapshot(enterprise_id, name="新名称公司")), time=now + timedelta(1)))
            assert "新名称公司" in (await site.get(f"/enterprises/{enterprise_id}")).text


async def test_redelivered_record_is_stored_once(start: Start) -> None:
    enterprise_id = uuid4()
    item = envelope(published(snapshot(enterprise_id)))
    async with start() as svc:
        await feed(svc, item, item)
        # Past the inbox (another event id, same record): the upsert keeps one row.
        await feed(svc, envelope(item.data))
        async with svc.runtime.sessionmaker() as session:
            rows = (await session.exec(select(PortalRecord))).all()
        assert [r.id for r in rows] == [item.data.record_id]


async def test_api_returns_the_enterprise_with_records_grouped_by_type(start: Start) -> None:
    enterprise_id = uuid4()
    company = snapshot(enterprise_id)
    older = published(company, issued_on=date(2019, 1, 5), year=2019, source_title="旧记录")
    newer = published(company)
    exempt = published(company, record_type="exemplary_list", explainable=False, explanation_due_on=None)
    async with start() as svc:
        await feed(svc, envelope(registered(company)), envelope(exempt), envelope(older), envelope(newer))
        async with client(svc.app) as api:
            body = (await api.get(f"/v1/enterprises/{enterprise_id}")).json()
            missing = await api.get(f"/v1/enterprises/{uuid4()}")
    assert body["name"] == NAME
    assert body["uscc"] == USCC
    assert body["region_code"] == "610100"
    groups = body["record_groups"]
    assert [g["record_type"] for g in groups] == ["environmental_supervision", "exemplary_list"]
    assert groups[0]["label_zh"] == "环境监管记录"
    assert [r["source_title"] for r in groups[0]["records"]] == [TITLE, "旧记录"]
    assert groups[0]["records"][0]["status"] == "awaiting_explanation"
    assert groups[0]["records"][0]["explanation_due_on"] == "2020-03-13"
    assert groups[1]["records"][0]["status"] == "published"
    assert groups[1]["records"][0]["explanation_due_on"] is None
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_the_host_picks_the_tenant(start: Start) -> None:
    ours, theirs = uuid4(), uuid4()
    async with start() as svc:
        await feed(
            svc,
            envelope(registered(snapshot(ours))),
            envelope(registered(snapshot(theirs, name="演示企业")), tenant="demo"),
        )
        async with client(svc.site) as default_site, client(svc.site, host="demo.example.org:8443") as demo_site:
            assert "演示企业" not in (await default_site.get("/")).text
            assert (await default_site.get(f"/enterprises/{theirs}")).status_code == 404
            demo_home = (await demo_site.get("/")).text
            assert "演示企业" in demo_home
            assert NAME not in demo_home
            assert (await demo_site.get(f"/enterprises/{theirs}")).status_code == 200
        async with client(svc.app, host="demo.example.org") as api:
            assert [e["id"] for e in (await api.get("/v1/enterprises")).json()] == [str(theirs)]


async def test_standalone_app_serves_api_and_site(start: Start) -> None:
    enterprise_id = uuid4()
    async with start() as svc:
        await feed(svc, envelope(registered(snapshot(enterprise_id))))
        app = standalone_app(svc.runtime, svc.app, extra=[Mount("/", app=svc.site)])
        async with client(app) as http:
            api = await http.get("/api/public-portal/v1/enterprises")
            assert [e["id"] for e in api.json()] == [str(enterprise_id)]
            assert (await http.get("/api/public-portal/readyz")).json()["status"] == "ready"
            home = await http.get("/")
            assert NAME in home.text
            assert f'href="/enterprises/{enterprise_id}"' in home.text
            assert (await http.get(f"/enterprises/{enterprise_id}")).status_code == 200
