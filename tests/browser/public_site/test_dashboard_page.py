"""The responsiveness dashboard in a real browser: charts and tables without JavaScript, axe, a screenshot."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.public_site.conftest import ARTIFACTS, Portal
from tests.browser.public_site.test_public_site import AXE_TAGS

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots" / "dashboard"


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_dashboard_reads_without_javascript_and_has_no_serious_violations(
    browser: Any, portal: Portal, axe_source: str, lang: str
) -> None:
    # Our CSP forbids scripts; the test injects axe-core anyway, after reading the page with JavaScript off.
    plain = await browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = await plain.new_page()
        await page.goto(portal.at(f"/dashboard?lang={lang}"))
        assert await page.locator('svg[role="img"] > title').count() == 6
        assert await page.locator("table.figures").count() == 3
        assert await page.locator("table.figures tbody tr").count() >= 3
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"dashboard-{lang}.png"), full_page=True)
    finally:
        await plain.close()
    context = await browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    try:
        page = await context.new_page()
        await page.goto(portal.at(f"/dashboard?lang={lang}"))
        await page.add_script_tag(content=axe_source)
        results = await page.evaluate(
            """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})""",
            AXE_TAGS,
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"axe--dashboard-{lang}--phone.json").write_text(
            json.dumps(results["violations"], ensure_ascii=False, indent=2), encoding="utf-8"
        )
        serious = [
            (v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:5])
            for v in results["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == []
    finally:
        await context.close()
