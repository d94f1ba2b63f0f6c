"""Accounts in a real browser (zh and en): an invited user sets a password from the mailed link (the policy refuses
password123 beside the field), logs in, finds the console and Log out on the public site, changes the password,
logs out, and the public pages offer Log in again. axe-core finds no serious violation on the new pages.
Screenshots: docs/screenshots/identity/<lang>/."""

import asyncio
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.walkthrough_support import REPO, Embedded, embedded, walkthrough_browser

pytestmark = [pytest.mark.browser, pytest.mark.integration]
__all__ = ["embedded", "walkthrough_browser"]  # fixtures the tests below use

ADMIN = ("admin@ipe.example.org", "bluemap-admin-demo")
SCREENSHOTS = REPO / "docs" / "screenshots" / "identity"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
PASSWORD = "harbour-lantern-quiet-58"
NEW_PASSWORD = "kite-meadow-silver-71"
_LINK = re.compile(r"https?://\S+/set-password\?token=[A-Za-z0-9_\-]+(?:&lang=en)?")
TEXT = {
    "zh": {"log_in": "登录", "console": "审核控制台", "change": "修改密码", "too_easy": "太容易被猜到"},
    "en": {
        "log_in": "Log in",
        "console": "Review console",
        "change": "Change password",
        "too_easy": "too easy to guess",
    },
}


async def invite(embedded: Embedded, lang: str) -> tuple[str, str]:
    """The demo admin invites a reviewer through the records API; (their email, the mailed set-password link)."""
    email = f"reviewer-{uuid.uuid4().hex[:6]}@ipe.example.org"
    async with httpx.AsyncClient(base_url=embedded.at("/api/records"), timeout=30) as client:
        token = await client.post("/v1/auth/token", data={"username": ADMIN[0], "password": ADMIN[1], "tenant": "ipe"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        invited = await client.post(
            "/v1/users/invitations", json={"email": email, "roles": ["reviewer"], "locale": lang}, headers=headers
        )
    assert invited.status_code == 201, invited.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for message in await asyncio.to_thread(embedded.mails_to, email):
            body = message.get_body(preferencelist=("plain",))
            links = _LINK.findall(body.get_content() if body else "")
            wanted = [link for link in links if link.endswith("&lang=en") == (lang == "en")]
            if wanted:
                return email, wanted[0]
        await asyncio.sleep(0.3)
    raise AssertionError(f"no invitation reached {email}")


async def serious_violations(page: Any, axe: str, name: str) -> list[Any]:
    await page.add_script_tag(content=axe)
    results = await page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})""",
        AXE_TAGS,
    )
    return [(name, v["id"], v["help"]) for v in results["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_an_invited_user_sets_a_password_finds_their_links_on_the_public_site_and_logs_out(
    walkthrough_browser: Any, embedded: Embedded, axe_source: str, lang: str
) -> None:
    t = TEXT[lang]
    folder: Path = SCREENSHOTS / lang
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    context = await walkthrough_browser.new_context(
        bypass_csp=True, locale="zh-CN" if lang == "zh" else "en-US", viewport={"width": 1280, "height": 800}
    )
    page = await context.new_page()
    violations: list[Any] = []

    async def shot(name: str) -> None:
        violations.extend(await serious_violations(page, axe_source, name))
        await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    async def submit(selector: str = "main form.stacked button[type=submit]") -> None:
        async with page.expect_navigation():
            await page.click(selector)

    try:
        await page.goto(embedded.at(f"/?lang={lang}"))
        login_link = page.locator("a.login-link")
        assert await login_link.inner_text() == t["log_in"]
        await shot("01-public-home-anonymous")

        email, link = await invite(embedded, lang)
        await page.goto(link)
        await shot("02-set-password")
        await page.fill("#password", "password123")
        await page.fill("#repeat", "password123")
        await submit()
        assert await page.locator("#password-error").count() == 1, (page.url, await page.locator("main").inner_text())
        assert t["too_easy"] in await page.locator("#password-error").inner_text()
        assert await page.get_attribute("#password", "aria-invalid") == "true"
        await shot("03-set-password-refused")
        await page.fill("#password", PASSWORD)
        await page.fill("#repeat", PASSWORD)
        await submit()
        assert "/login" in page.url
        await shot("04-login-password-saved")

        await page.fill("#username", email)
        await page.fill("#password", PASSWORD)
        await submit()
        assert "/console" in page.url

        await page.goto(embedded.at("/"))
        header = page.locator("header .header-tools")
        assert await header.get_by_role("link", name=t["console"]).count() == 1
        assert await header.get_by_role("link", name=t["change"]).count() == 1
        assert await page.locator("a.login-link").count() == 0
        await shot("05-public-home-signed-in")

        await header.get_by_role("link", name=t["change"]).click()
        await page.wait_for_url("**/workspace/password*")
        await page.fill("#current", PASSWORD)
        await page.fill("#password", NEW_PASSWORD)
        await page.fill("#repeat", NEW_PASSWORD)
        await submit()
        await shot("06-password-changed")

        await page.goto(embedded.at("/documents"))
        await submit("header form.logout button")
        assert "logged_out=1" in page.url
        await page.goto(embedded.at("/documents"))
        assert await page.locator("a.login-link").count() == 1
        await shot("07-public-page-after-logout")

        await page.goto(embedded.at("/forgot-password"))
        await shot("08-forgot-password")
    finally:
        await context.close()
    assert violations == [], json.dumps(violations, ensure_ascii=False)
