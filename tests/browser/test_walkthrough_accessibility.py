"""axe-core on the workspace and console pages of the walkthrough: no serious or critical violation.

axe-core is the copy the public site's browser tests install under .cache/node/ (they fetch it on first use);
without it this test is skipped.
"""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.walkthrough_support import (
    ARTIFACTS,
    ENTERPRISE,
    REVIEWER,
    Embedded,
    embedded,
    walkthrough_browser,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]
__all__ = ["embedded", "walkthrough_browser"]  # fixtures the test below uses

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SECTION = "environmental_supervision"


async def serious_violations(page: Any, axe: str, name: str, folder: Path) -> list[Any]:
    await page.add_script_tag(content=axe)
    results = await page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})""",
        AXE_TAGS,
    )
    (folder / f"axe--{name}.json").write_text(
        json.dumps(results["violations"], ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return [
        (name, v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:5])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def log_in(page: Any, embedded: Embedded, email: str, password: str, lang: str) -> None:
    await page.goto(embedded.at(f"/login?lang={lang}"))
    await page.fill("#username", email)
    await page.fill("#password", password)
    async with page.expect_navigation():
        await page.click("form.stacked button[type=submit]")


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_workspace_and_console_pages_have_no_serious_violations(
    walkthrough_browser: Any, embedded: Embedded, axe_source: str, lang: str
) -> None:
    axe = axe_source
    folder = ARTIFACTS / f"walkthrough-axe-{lang}"
    folder.mkdir(parents=True, exist_ok=True)
    # Our CSP forbids scripts; the test injects axe-core anyway.
    context = await walkthrough_browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    found: list[Any] = []
    try:
        page = await context.new_page()
        await page.goto(embedded.at(f"/login?lang={lang}"))
        found += await serious_violations(page, axe, "login", folder)
        await log_in(page, embedded, *ENTERPRISE, lang)
        pages = [
            ("my-green-choice", "/workspace"),
            ("account", "/workspace/account"),
            ("not-yet", "/workspace/gca-audit"),
            ("live-chat", "/workspace/help/live-chat"),
            ("guide-disclosure", "/workspace/guides/disclosure"),
            ("guide-self-explanations", "/workspace/guides/self-explanations"),
            ("disclosure", f"/workspace/disclosure?open={SECTION}"),
            ("commitment", f"/workspace/commitments/accuracy?type={SECTION}"),
            ("documents", f"/workspace/disclosure/{SECTION}/documents"),
            ("upload", f"/workspace/disclosure/{SECTION}/upload"),
        ]
        for name, path in pages:
            await page.goto(embedded.at(path))
            found += await serious_violations(page, axe, name, folder)
        await page.goto(embedded.at(f"/workspace/commitments/accuracy?type={SECTION}"))
        async with page.expect_navigation():
            await page.click("button[value=accept]")
        await page.locator("article.record details.show-all > summary").first.click()
        await page.locator("article.record details.example > summary").first.click()
        found += await serious_violations(page, axe, "explain", folder)
        async with page.expect_navigation():
            await page.click(f"form[action^='/workspace/disclosure/{SECTION}/send'] button")
        assert re.search(r"/send", page.url)
        found += await serious_violations(page, axe, "send-errors", folder)
        async with page.expect_navigation():
            await page.click("form.logout button")

        await log_in(page, embedded, *REVIEWER, lang)
        found += await serious_violations(page, axe, "console", folder)
        await page.goto(embedded.at("/console/emails"))
        found += await serious_violations(page, axe, "console-emails", folder)
    finally:
        await context.close()
    assert found == []
