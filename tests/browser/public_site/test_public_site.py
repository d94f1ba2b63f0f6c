"""The public site in a real browser: search, enterprise pages, languages, feeds, exports, verification, a11y."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

import pytest

from tests.browser.demo import HYPERLINK_TITLE, SUPERVISION_TITLE
from tests.browser.public_site.conftest import ARTIFACTS, Portal

pytestmark = [pytest.mark.browser, pytest.mark.integration]

Shot = Callable[[Any, str], Awaitable[None]]
ATOM = {"a": "http://www.w3.org/2005/Atom"}


async def search(page: Any, *, q: str = "", region: str = "") -> None:
    await page.fill("#q", q)
    await page.select_option("#region", region)
    async with page.expect_navigation():
        await page.click("form.search button[type=submit]")


async def test_search_by_chinese_name_uscc_and_region(page: Any, portal: Portal, shot: Shot) -> None:
    await page.goto(portal.at("/"))
    assert await page.get_attribute("html", "lang") == "zh-Hans"
    assert await page.title() == "蔚蓝地图 · 企业环境信息公开"
    await shot(page, "1-home")

    await search(page, q="兴庆")
    assert "/search?q=" in page.url
    status = page.locator("[role=status]")
    assert await status.inner_text() == "共找到 3 家企业"
    names = await page.locator("tbody th a").all_inner_texts()
    assert set(names) == {"渭南兴庆水泥有限公司", "西安永安兴庆门业股份有限公司", "陕西永安兴庆门业有限公司"}
    await shot(page, "2-name")

    await search(page, q="91610300ma6x1q2w3e")  # a USCC, typed in lower case
    assert await page.locator("tbody th a").all_inner_texts() == ["宝鸡秦岭化工有限公司"]
    await shot(page, "3-uscc")

    await search(page, region="6101")  # Xi'an: six enterprises, pages of five
    assert await status.inner_text() == "共找到 6 家企业"
    assert await page.locator("tbody tr").count() == 5
    assert await page.locator("#region option:checked").inner_text() == "西安市"
    await shot(page, "4-region-page-1")
    async with page.expect_navigation():
        await page.click("nav.pages a[rel=next]")
    assert await page.locator("tbody tr").count() == 1
    assert await page.get_attribute("nav.pages [aria-current=page]", "aria-label") == "第 2 页"
    await shot(page, "5-region-page-2")

    await search(page, q="兴庆", region="61")
    assert await status.inner_text() == "共找到 3 家企业"


async def test_enterprise_page_and_language_switch(page: Any, portal: Portal, shot: Shot) -> None:
    yongan = portal.demo.enterprises["yongan"]
    await page.goto(portal.at("/"))
    await search(page, q="永安兴庆门业有限")
    async with page.expect_navigation():
        await page.click(f"a[href='/enterprises/{yongan.enterprise_id}']")
    assert await page.locator("h1").inner_text() == "陕西永安兴庆门业有限公司"
    headings = await page.locator("main h2").all_inner_texts()
    assert headings[0].startswith("环境监管记录")
    assert headings[1].startswith("整改通知")
    assert headings[-1].startswith("企业反馈")
    record = page.locator("tr", has=page.locator(f"th:has-text('{SUPERVISION_TITLE}')"))
    assert await record.locator("td.status-explained").inner_text() == "已说明"
    assert await page.locator("td.status-overdue").first.inner_text() == "逾期未说明"
    assert await page.locator("td.status-awaiting_explanation").first.inner_text() == "待企业说明"
    assert await page.get_by_text("喷漆房废气收集处理设施因风机故障停运约三小时").first.is_visible()
    signed = portal.demo.signed_document_id
    download = page.locator(f"a[href$='/v1/public/documents/{signed}/content']").first
    assert await download.get_attribute("download") is not None
    preview = page.locator(f"a[href$='/v1/public/documents/{signed}/content?disposition=inline']").first
    assert (await preview.inner_text()).startswith("在线预览")
    assert await page.locator(f"a[href='/verify/{portal.demo.verification_code}']").count() >= 1
    await shot(page, "1-zh")

    async with page.expect_navigation():
        await page.click("a.lang-switch")
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.locator("h1").inner_text() == "Shaanxi Yong'an Xingqing Door Industry Co., Ltd."
    assert (await page.locator("main h2").first.inner_text()).startswith("Environmental Supervision Records")
    assert await page.locator("td.status-overdue").first.inner_text() == "Overdue"
    assert await page.get_by_text("Feb 20, 2020").first.is_visible()
    await shot(page, "2-en")

    # The choice sticks: a page asked for without ?lang= is still English.
    await page.goto(portal.at("/categories"))
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.locator("h1").inner_text() == "Browse by category"
    async with page.expect_navigation():
        await page.click("a.lang-switch")
    assert await page.get_attribute("html", "lang") == "zh-Hans"
    await page.goto(portal.at("/categories"))
    assert await page.locator("h1").inner_text() == "分类浏览"
    await shot(page, "3-back-to-zh")


async def test_category_and_documents_pages_filter(page: Any, portal: Portal, shot: Shot) -> None:
    await page.goto(portal.at("/categories/environmental_supervision"))
    assert await page.locator("h1").inner_text() == "环境监管记录"
    await page.select_option("#status", "overdue")
    async with page.expect_navigation():
        await page.click("form.filters button[type=submit]")
    assert await page.locator("tbody tr").count() == 1
    assert await page.locator("tbody td.status-overdue").inner_text() == "逾期未说明"
    await shot(page, "1-category-overdue")

    await page.goto(portal.at("/categories/enterprise_feedback"))
    assert await page.get_by_text("排污许可证（正本）.pdf").first.is_visible()
    await shot(page, "2-feedback")

    await page.goto(portal.at("/documents"))
    assert await page.locator("[role=status]").inner_text() == "共 2 份文件"
    await page.select_option("#type", "discharge_permit")
    async with page.expect_navigation():
        await page.click("form.filters button[type=submit]")
    assert await page.locator("tbody tr").count() == 1
    await shot(page, "3-documents")


async def test_feeds_parse_and_csv_export_neutralises_formulas(page: Any, portal: Portal, shot: Shot) -> None:
    yongan = portal.demo.enterprises["yongan"]
    await page.goto(portal.at(f"/enterprises/{yongan.enterprise_id}"))
    alternate = page.locator("head link[rel=alternate][type='application/atom+xml']")
    feed_url = portal.at(await alternate.get_attribute("href"))
    answer = await page.request.get(feed_url)
    assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = ElementTree.fromstring(await answer.body())
    assert feed.findtext("a:id", namespaces=ATOM) == (
        f"tag:bluemap.example.org,2025:ipe/feeds/enterprises/{yongan.enterprise_id}/zh"
    )
    titles = [e.findtext("a:title", namespaces=ATOM) for e in feed.findall("a:entry", ATOM)]
    assert f"环境监管记录 (2020): {SUPERVISION_TITLE}" in titles
    assert all(e.findtext("a:id", namespaces=ATOM).startswith("tag:") for e in feed.findall("a:entry", ATOM))  # type: ignore[union-attr]

    await page.goto(portal.at("/categories/accident"))
    category_feed = await page.locator("head link[rel=alternate][type='application/atom+xml']").get_attribute("href")
    accidents = ElementTree.fromstring(await (await page.request.get(portal.at(category_feed))).body())
    [entry] = accidents.findall("a:entry", ATOM)
    assert entry.findtext("a:title", namespaces=ATOM) == f"事故 (2023): {HYPERLINK_TITLE}"
    assert entry.findtext("a:id", namespaces=ATOM) == (
        f"tag:bluemap.example.org,2025:ipe/records/{portal.demo.hyperlink_record_id}"
    )

    await page.goto(portal.at("/"))
    await search(page, q="宝鸡")
    await shot(page, "1-results-with-export")
    async with page.expect_download() as download_info:
        await page.click("a[href^='/search.csv']")
    download = await download_info.value
    assert download.suggested_filename == "bluemap-search.csv"
    path = ARTIFACTS / "search.csv"
    await download.save_as(str(path))
    content = await asyncio.to_thread(path.read_bytes)
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert f"'{HYPERLINK_TITLE}".replace('"', '""') in text
    assert "\n=HYPERLINK" not in text
    assert ",=HYPERLINK" not in text

    exported = await page.request.get(portal.at("/search.json?q=" + quote("宝鸡")))
    body = json.loads(await exported.body())
    assert body["total"] == 1
    assert body["enterprises"][0]["records"][0]["source_title"] in (HYPERLINK_TITLE, "宝鸡市清洁生产审核企业名单")


async def test_verify_page_by_form_and_by_qr_link(page: Any, portal: Portal, shot: Shot) -> None:
    code = portal.demo.verification_code
    await page.goto(portal.at("/verify"))
    field = page.locator("#code")
    assert await field.get_attribute("inputmode") == "text"
    assert await page.locator("label[for=code]").inner_text() == "验证码"
    assert "二维码" in await page.locator("#code-hint").inner_text()
    await shot(page, "1-form")
    await field.fill(f"  {code.upper()} ")
    async with page.expect_navigation():
        await field.press("Enter")
    assert await page.locator("#verified").inner_text() == "验证通过：该验证码与以下文件匹配。"
    assert await page.get_by_text(portal.demo.document_number).first.is_visible()
    assert await page.get_by_text("已审核并公开").is_visible()
    await shot(page, "2-verified")

    # The QR code on the PDF links straight here.
    await page.goto(portal.at(f"/verify/{code}?lang=en"))
    assert await page.locator("#verified").inner_text() == "Verified: this code matches the document below."
    missing = await page.goto(portal.at("/verify/" + "0" * 64))
    assert missing.status == 404
    assert await page.locator("#not-verified").inner_text() == "No matching document"
    await shot(page, "3-unknown")


async def test_keyboard_skip_link_and_visible_focus(page: Any, portal: Portal, shot: Shot) -> None:
    await page.goto(portal.at("/"))
    await page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert await skip.evaluate("element => element === document.activeElement")
    box = await skip.bounding_box()
    assert box is not None
    assert box["width"] > 20  # shown when focused
    outline = await skip.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline == "solid"
    await shot(page, "1-skip-link")
    await page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    # Tab on reaches the search field; typing and Enter search without a mouse.
    for _ in range(20):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.id") == "q":
            break
    assert await page.evaluate("document.activeElement.id") == "q"
    assert await page.locator("#q").evaluate("element => getComputedStyle(element).outlineStyle") == "solid"
    await page.keyboard.type("秦岭")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert await page.locator("tbody th a").all_inner_texts() == ["宝鸡秦岭化工有限公司"]
    await shot(page, "2-searched-by-keyboard")


async def test_pages_read_and_search_without_javascript(browser: Any, portal: Portal, shot: Shot) -> None:
    context = await browser.new_context(java_script_enabled=False, locale="zh-CN")
    try:
        page = await context.new_page()
        await page.goto(portal.at("/"))
        await search(page, q="渭南")
        assert await page.locator("tbody th a").all_inner_texts() == ["渭南兴庆水泥有限公司"]
        async with page.expect_navigation():
            await page.click("tbody th a")
        assert await page.get_by_text("颗粒物").first.is_visible()
        await shot(page, "1-no-js-enterprise")
    finally:
        await context.close()


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
MAIN_PAGES = [
    ("home", "/"),
    ("search-results", "/search?q=" + quote("兴庆")),
    ("search-region", "/search?region=6101&page=2"),
    ("enterprise", "/enterprises/{yongan}"),
    ("enterprise-en", "/enterprises/{yongan}?lang=en"),
    ("enterprise-monitoring", "/enterprises/{weinan}"),
    ("categories", "/categories"),
    ("category", "/categories/environmental_supervision"),
    ("category-filtered-en", "/categories/environmental_supervision?status=overdue&lang=en"),
    ("feedback", "/categories/enterprise_feedback"),
    ("documents", "/documents"),
    ("verify", "/verify"),
    ("verify-result", "/verify/{code}"),
    ("not-found", "/enterprises/00000000-0000-0000-0000-000000000000"),
]


@pytest.mark.parametrize(("name", "path"), MAIN_PAGES, ids=[n for n, _ in MAIN_PAGES])
@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
async def test_no_serious_accessibility_violations(
    browser: Any, portal: Portal, axe_source: str, name: str, path: str, viewport: tuple[int, int]
) -> None:
    # Our CSP forbids scripts; the test injects axe-core anyway.
    context = await browser.new_context(bypass_csp=True, viewport={"width": viewport[0], "height": viewport[1]})
    try:
        page = await context.new_page()
        url = path.format(
            yongan=portal.demo.enterprises["yongan"].enterprise_id,
            weinan=portal.demo.enterprises["weinan"].enterprise_id,
            code=portal.demo.verification_code,
        )
        await page.goto(portal.at(url))
        await page.add_script_tag(content=axe_source)
        results = await page.evaluate(
            """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})""",
            AXE_TAGS,
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        size = "desktop" if viewport[0] > 600 else "phone"
        (ARTIFACTS / f"axe--{name}--{size}.json").write_text(
            json.dumps(results["violations"], ensure_ascii=False, indent=2), encoding="utf-8"
        )
        await page.screenshot(path=str(ARTIFACTS / f"axe--{name}--{size}.png"), full_page=True)
        serious = [
            (v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:5])
            for v in results["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == []
    finally:
        await context.close()
