"""The operator console on the embedded default: two tenants kept apart on every page, and Chromium walks.

The isolation test talks HTTP to the site as two tenants' admins (the second made by the records command
line). The walks drive Chromium through the console as the admin and the reviewer, in Chinese and English,
with axe-core on every page, and save a screenshot per page and role under docs/screenshots/console/.
"""

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from bluemap_embedded.demo import WALKTHROUGH_USCC
from bluemap_shared.testing import eventually
from tests.browser.test_walkthrough_accessibility import serious_violations
from tests.browser.walkthrough_support import (
    ARTIFACTS,
    ENTERPRISE,
    REPO,
    REVIEWER,
    Embedded,
    embedded,
    walkthrough_browser,
)
from tests.e2e import workflow_steps as steps
from tests.e2e.workflow_steps import Deployment, MaildirInbox

pytestmark = [pytest.mark.integration]
__all__ = ["embedded", "walkthrough_browser"]  # fixtures the tests below use

ADMIN = ("admin@ipe.example.org", "bluemap-admin-demo")
OTHER_TENANT = "acme"
OTHER_ADMIN = ("admin@acme.example.org", "Acme-console-admin-2026")
OTHER_TENANT_NAME = "顶峰监督站"
SCREENSHOTS = REPO / "docs" / "screenshots" / "console"
ADMIN_PAGES = (
    "/console/enterprises",
    "/console/records",
    "/console/imports",
    "/console/users",
    "/console/commitments",
    "/console/tenant-settings",
)
OPERATOR = ("operator@bluemap.example.org", "bluemap-operator-demo")
SERVICES = ("records", "explanations", "documents", "notifications", "public-portal")


def create_admin_of_another_tenant(embedded: Embedded) -> None:
    """`python -m bluemap_records tenants create` on the embedded default's records database, with its admin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLUEMAP_RECORDS_")}
    env["BLUEMAP_RECORDS_DATA_DIR"] = str(embedded.data_dir)
    email, password = OTHER_ADMIN
    command = [sys.executable, "-m", "bluemap_records", "tenants", "create", OTHER_TENANT]
    command += ["--name-zh", OTHER_TENANT_NAME, "--name-en", "Acme", "--mail-sender-name", "Acme"]
    command += ["--mail-sender-address", "noreply@acme.example.org"]
    command += ["--admin-email", email, "--admin-password", password, "--admin-name", "Acme admin"]
    subprocess.run(command, check=True, env=env, cwd=REPO, timeout=120, capture_output=True)


async def token(embedded: Embedded, email: str, password: str, tenant: str = "ipe") -> str:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            embedded.at("/api/records/v1/auth/token"), data={"username": email, "password": password, "tenant": tenant}
        )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


class Console:
    """The site as one signed-in user (the session cookie the login form would set)."""

    def __init__(self, embedded: Embedded, access_token: str) -> None:
        self.client = httpx.AsyncClient(
            base_url=embedded.base_url, timeout=60, cookies={"bluemap_session": access_token}
        )

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def csrf(self) -> str:
        page = await self.client.get("/console")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text) or re.search(
            r"csrf_token=([A-Za-z0-9_-]+)", page.text
        )
        if found:
            return found[1]
        return str(self.client.cookies.get("bluemap_csrf"))

    async def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return await self.client.post(path, data=data | {"csrf_token": await self.csrf()})

    async def upload(self, content: bytes, filename: str) -> httpx.Response:
        csrf = await self.csrf()
        return await self.client.post(
            f"/console/imports?csrf_token={csrf}", files={"file": (filename, content, "text/csv")}
        )


def import_file(uscc: str, name: str, email: str) -> bytes:
    """An import of two rows: one good, one with a USCC whose check digit is wrong."""
    header = "uscc,enterprise_name,enterprise_name_en,region_code,registered_email,record_type,year,source_title,"
    header += "issuing_authority,issued_on,source_url,summary,external_id\n"
    authority = "西安市生态环境局"
    good = (
        f"{uscc},{name},,610100,{email},environmental_supervision,2024,导入的监管记录,{authority},2024-05-06,,,IMP-1\n"
    )
    wrong = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
    bad = f"{wrong},坏行企业,,610100,,accident,2024,坏行,{authority},2024-05-06,,,IMP-2\n"
    return (header + good + bad).encode()


def location_id(response: httpx.Response, prefix: str) -> str:
    assert response.status_code == 303, response.text[-2000:]
    found = re.match(rf"{prefix}/([0-9a-f-]{{36}})", response.headers["location"])
    assert found, response.headers["location"]
    return found[1]


async def test_every_console_page_keeps_two_tenants_apart(embedded: Embedded) -> None:
    await asyncio.to_thread(create_admin_of_another_tenant, embedded)
    ipe = Console(embedded, await token(embedded, *ADMIN))
    acme = Console(embedded, await token(embedded, *OTHER_ADMIN, tenant=OTHER_TENANT))
    reviewer = Console(embedded, await token(embedded, *REVIEWER))

    # The other tenant's admin works through the console: an enterprise, a record, an import.
    uscc, name = steps.new_uscc(), "顶点化工隔离测试有限公司"
    created = await acme.post(
        "/console/enterprises/new", {"uscc": uscc, "name": name, "registered_emails": "ehs@acme-chem.example.cn"}
    )
    acme_enterprise = location_id(created, "/console/enterprises")
    published = await acme.post(
        "/console/records/new",
        {
            "enterprise_id": acme_enterprise,
            "record_type": "accident",
            "year": "2024",
            "source_title": "顶点化工泄漏事故",
            "issuing_authority": "西安市应急管理局",
            "issued_on": "2024-04-01",
        },
    )
    acme_record = location_id(published, "/console/records")
    imported = await acme.upload(import_file(uscc, name, "ehs@acme-chem.example.cn"), "acme.csv")
    acme_import = location_id(imported, "/console/imports")
    acme_import_page = await acme.get(f"/console/imports/{acme_import}")
    assert "USCC" in acme_import_page.text or "uscc" in acme_import_page.text  # the bad row, with its column
    assert (await acme.get(f"/console/imports/{acme_import}/errors.csv")).status_code == 200
    acme_secrets = (
        name,
        uscc,
        acme_enterprise,
        acme_record,
        acme_import,
        "顶点化工泄漏事故",
        OTHER_ADMIN[0],
        OTHER_TENANT_NAME,
    )

    async with httpx.AsyncClient(timeout=30) as client:
        found = await client.get(
            embedded.at("/api/records/v1/enterprises"),
            params={"uscc": WALKTHROUGH_USCC},
            headers={"Authorization": f"Bearer {await token(embedded, *ADMIN)}"},
        )
    ipe_enterprise = found.json()["items"][0]["id"]
    ipe_page = await ipe.get(f"/console/enterprises/{ipe_enterprise}")
    ipe_record = re.search(r'href="/console/records/([0-9a-f-]{36})"', ipe_page.text)
    assert ipe_record, "the walkthrough enterprise's records are listed on its console page"
    ipe_secrets = (steps.ENTERPRISE_NAME, WALKTHROUGH_USCC, ipe_enterprise, ipe_record[1])

    lists = ("/console", "/console/emails", "/console/chat", *ADMIN_PAGES)
    for viewer, others in ((ipe, acme_secrets), (acme, ipe_secrets)):
        for path in (*lists, f"/console/enterprises?q={others[0][:4]}", f"/console/enterprises?q={others[1]}"):
            page = await viewer.get(path)
            assert page.status_code == 200, (path, page.text[-1500:])
            # A search's own words are echoed in its box; nothing else of the other tenant may appear.
            leaked = [secret for secret in others if secret in page.text and secret not in path]
            assert leaked == [], (path, leaked)
    for path in (
        f"/console/enterprises/{acme_enterprise}",
        f"/console/records/{acme_record}",
        f"/console/records/new?enterprise_id={acme_enterprise}",
        f"/console/imports/{acme_import}",
        f"/console/imports/{acme_import}/errors.csv",
    ):
        refused = await ipe.get(path)
        assert refused.status_code == 404, (path, refused.status_code)
        assert name not in refused.text
    assert (await acme.get(f"/console/enterprises/{ipe_enterprise}")).status_code == 404
    assert (await acme.get(f"/console/records/{ipe_record[1]}")).status_code == 404
    for path, data in (
        (f"/console/enterprises/{acme_enterprise}", {"name": "被改名", "status": "closed"}),
        (f"/console/enterprises/{acme_enterprise}/email-changes", {"new_email": "x@evil.example.cn"}),
        (f"/console/records/{acme_record}", {"source_title": "被改写", "record_type": "accident", "year": "2024",
                                             "issuing_authority": "x", "issued_on": "2024-04-01"}),
        (f"/console/records/{acme_record}/retract", {"reason": "跨机构撤回"}),
        (f"/console/records/{acme_record}/resolve", {"reason": "跨机构撤销"}),
    ):  # fmt: skip
        refused = await ipe.post(path, data)
        assert refused.status_code == 404, (path, refused.status_code, refused.text[-800:])
    still = await acme.get(f"/console/records/{acme_record}")
    assert "顶点化工泄漏事故" in still.text
    assert "跨机构" not in still.text
    assert name in (await acme.get(f"/console/enterprises/{acme_enterprise}")).text
    assert OTHER_TENANT_NAME in (await acme.get("/console/tenant-settings")).text  # each admin its own tenant
    # Reviewers see review and chat only.
    for path in ADMIN_PAGES:
        assert (await reviewer.get(path)).status_code == 403, path
    for client in (ipe, acme, reviewer):
        await client.client.aclose()


# ---------------------------------------------------------------------------------------- browser walks


async def explained_record(embedded: Embedded) -> tuple[str, str]:
    """One walkthrough record explained, sent, signed and approved through the APIs: (record id, enterprise id)."""
    deployment = Deployment(
        apis={s: embedded.at(f"/api/{s}") for s in SERVICES},
        site=embedded.base_url,
        inbox=MaildirInbox(embedded.data_dir / "mail"),
    )
    staff = await steps.sign_in(deployment, *ENTERPRISE)
    reviewer = await steps.sign_in(deployment, *REVIEWER)
    enterprise_id = await steps.enterprise_of(staff)
    [first, *_] = sorted(await steps.records_to_explain(staff, 2), key=lambda r: r["issued_on"])
    record_id = str(first["record_id"])
    await steps.accept_commitment(staff, "accuracy")
    await steps.save_explanation(staff, record_id, steps.EXPLANATIONS[0])
    await steps.accept_commitment(staff, "deadline")
    sent = await steps.send(staff, [record_id])
    assert sent.status_code == 201, sent.text
    submission_id = str(sent.json()["id"])
    email = await steps.explanation_pdf_email(deployment, ENTERPRISE[0])
    signed = await steps.upload_signed(staff, submission_id, steps.signed_copy(email.pdf().data), "scan.pdf")
    assert signed.status_code == 201, signed.text
    under_review = await steps.submission_under_review(reviewer, submission_id)
    approved = await steps.review_submission(reviewer, under_review)  # the explanation and the scan, at once
    assert approved.status_code == 200, approved.text
    await steps.record_reaches(reviewer, record_id, "explained")
    return record_id, enterprise_id


class ConsoleWalk:
    """A walk through the console: screenshots under docs/screenshots/console/, axe-core on every page."""

    def __init__(self, page: Any, embedded: Embedded, axe: str, role: str, lang: str) -> None:
        self.page, self.embedded, self.axe, self.role, self.lang = page, embedded, axe, role, lang
        self.axe_folder = ARTIFACTS / f"console-axe-{role}-{lang}"
        self.axe_folder.mkdir(parents=True, exist_ok=True)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.violations: list[Any] = []
        self.shots: list[Path] = []

    async def open(self, path: str) -> None:
        separator = "&" if "?" in path else "?"
        response = await self.page.goto(self.embedded.at(f"{path}{separator}lang={self.lang}"))
        assert response is not None

    async def check(self, name: str) -> None:
        """The page's language, its one h1 and labelled fields, no serious axe violation; then its screenshot."""
        page = self.page
        assert await page.get_attribute("html", "lang") == ("zh-Hans" if self.lang == "zh" else "en"), page.url
        assert await page.locator("h1").count() == 1, page.url
        unlabelled = await page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
                .filter(e => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label'))
                .map(e => e.name || e.id)"""
        )
        assert unlabelled == [], (page.url, unlabelled)
        self.violations += await serious_violations(page, self.axe, name, self.axe_folder)
        path = SCREENSHOTS / f"{self.role}-{self.lang}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)

    async def click(self, locator: Any) -> None:
        async with self.page.expect_navigation():
            await locator.click()

    async def log_in(self, email: str, password: str) -> None:
        await self.open("/login")
        await self.page.fill("#username", email)
        await self.page.fill("#password", password)
        await self.click(self.page.locator("form.stacked button[type=submit]"))


TEXT = {
    "zh": {
        "done_resolve": "记录已标记为已解决",
        "rejected": "被拒绝的行",
        "since": "自",
        "denied": "仅供本机构管理员",
        "created": "租户已创建",
        "suspended": "该租户已暂停",
        "resumed": "租户已恢复启用",
    },
    "en": {
        "done_resolve": "The record was resolved",
        "rejected": "Rejected rows",
        "since": "Since",
        "denied": "for the tenant",
        "created": "The tenant was created",
        "suspended": "This tenant is suspended",
        "resumed": "The tenant is active again",
    },
}


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_admin_imports_a_bad_row_resolves_a_record_with_a_reason_and_the_public_page_shows_it(
    walkthrough_browser: Any, embedded: Embedded, axe_source: str, lang: str
) -> None:
    record_id, enterprise_id = await explained_record(embedded)
    t = TEXT[lang]
    # Our CSP allows no injected script; axe-core is injected anyway (bypass_csp), the upload's own runs by nonce.
    context = await walkthrough_browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}, locale="zh-CN" if lang == "zh" else "en-US"
    )
    try:
        page = await context.new_page()
        walk = ConsoleWalk(page, embedded, axe_source, "admin", lang)
        await walk.log_in(*ADMIN)
        await walk.open("/console")
        await walk.check("queue")
        for path in ADMIN_PAGES:
            assert await page.locator(f'nav.console-nav a[href^="{path}"]').count() == 1, path

        await walk.open("/console/enterprises")
        await page.fill("#q", "永安兴庆")
        await walk.click(page.locator("form.search-form button[type=submit]"))
        assert steps.ENTERPRISE_NAME in await page.content()
        await walk.check("enterprises")
        await walk.click(page.get_by_role("link", name=steps.ENTERPRISE_NAME, exact=True))
        await walk.check("enterprise")
        await walk.open("/console/enterprises/new")
        await walk.check("enterprise-new")

        # An import with a bad row: the upload form's progress bar, then the import's page.
        await walk.open("/console/imports")
        await walk.check("imports")
        csv = import_file(steps.new_uscc(), f"浏览器导入企业{lang}", f"ehs-{lang}@import.example.cn")
        await page.set_input_files("#f-file", {"name": "records.csv", "mimeType": "text/csv", "buffer": csv})
        async with page.expect_navigation(url=re.compile(r"/console/imports/[0-9a-f-]{36}")):
            await page.click("#import-form button[type=submit]")
        text = await page.content()
        assert t["rejected"] in text
        assert "uscc" in text.lower()
        assert await page.locator("table tbody tr th.number").count() == 1  # the one bad row, by its line
        await walk.check("import")
        download = await page.request.get(
            embedded.at(await page.locator("a[href*='errors.csv']").get_attribute("href") or "")
        )
        assert download.status == 200
        assert "uscc" in (await download.text()).lower()

        await walk.open("/console/records")
        await walk.check("records")
        await walk.open(f"/console/records/new?enterprise_id={enterprise_id}")
        await walk.check("record-new")
        await walk.open("/console/users")
        await walk.check("users")
        await walk.open("/console/commitments")
        await walk.check("commitments")
        await walk.open("/console/tenant-settings")
        assert await page.locator("#f-hostnames").count() == 0  # hostnames are the platform operator's
        await walk.check("tenant-settings")

        # Resolve the explained record after a third-party audit, with the reason the public will read.
        reason = f"第三方审核确认已整改 / third-party audit confirmed the fix ({lang})"
        await walk.open(f"/console/records/{record_id}")
        await walk.check("record")
        await page.fill("#reason-resolve", reason)
        await walk.click(page.locator("form#resolve button[type=submit]"))
        assert t["done_resolve"] in await page.content()
        await walk.check("record-resolved")

        async def public_shows_the_reason() -> str:
            await walk.open(f"/enterprises/{enterprise_id}")
            html: str = await page.content()
            assert reason in html, "the public page does not show the reason yet"
            return html

        public = await eventually(public_shows_the_reason, timeout=30, interval=0.5)
        assert t["since"] in public
        await page.screenshot(path=str(SCREENSHOTS / f"admin-{lang}-public-record-resolved.png"), full_page=True)
        assert walk.violations == [], walk.violations
    finally:
        await context.close()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_reviewer_sees_review_and_chat_only(
    walkthrough_browser: Any, embedded: Embedded, axe_source: str, lang: str
) -> None:
    context = await walkthrough_browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}, locale="zh-CN" if lang == "zh" else "en-US"
    )
    try:
        page = await context.new_page()
        walk = ConsoleWalk(page, embedded, axe_source, "reviewer", lang)
        await walk.log_in(*REVIEWER)
        await walk.open("/console")
        await walk.check("queue")
        for path in ADMIN_PAGES:
            assert await page.locator(f'nav.console-nav a[href^="{path}"]').count() == 0, path
        await walk.open("/console/chat")
        await walk.check("chat")
        await walk.open("/console/emails")
        await walk.check("emails")
        for path in ADMIN_PAGES:
            response = await page.goto(embedded.at(f"{path}?lang={lang}"))
            assert response is not None
            assert response.status == 403, path
            assert TEXT[lang]["denied"] in await page.content()
        await walk.check("admin-page-refused")
        assert walk.violations == [], walk.violations
    finally:
        await context.close()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_platform_operator_creates_suspends_and_resumes_a_tenant(
    walkthrough_browser: Any, embedded: Embedded, axe_source: str, lang: str
) -> None:
    t = TEXT[lang]
    tenant_id = f"browser-{lang}"
    admin_email, admin_password = f"admin@{tenant_id}.example.org", "Browser-tenant-admin-2026"
    context = await walkthrough_browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}, locale="zh-CN" if lang == "zh" else "en-US"
    )
    try:
        page = await context.new_page()
        walk = ConsoleWalk(page, embedded, axe_source, "operator", lang)
        await walk.log_in(*OPERATOR)
        assert "/console/tenants" in page.url  # the platform operator lands on the tenants
        await walk.open("/console/tenants")
        # Its only console link: the queue, chat and a tenant's admin pages are the tenants' own staff's.
        assert await page.locator("nav.console-nav a").count() == 1
        assert await page.locator('nav.console-nav a[href^="/console/tenants"]').count() == 1
        await walk.check("tenants")
        await walk.click(page.locator("main a[href^='/console/tenants/new']"))
        await walk.check("tenant-new")
        for field, value in (
            ("#f-id", tenant_id),
            ("#f-name_zh", f"浏览器测试机构{lang}"),
            ("#f-name_en", f"Browser test {lang}"),
            ("#f-mail_sender_name", "Browser test"),
            ("#f-mail_sender_address", f"noreply@{tenant_id}.example.org"),
            ("#f-hostnames", f"{tenant_id}.example.org"),
            ("#f-first_admin_email", admin_email),
            ("#f-first_admin_password", admin_password),
        ):
            await page.fill(field, value)
        await walk.click(page.locator("main form.stacked button[type=submit]"))
        assert page.url.split("?")[0].endswith(f"/console/tenants/{tenant_id}")
        assert t["created"] in await page.content()
        await walk.check("tenant")
        assert await token(embedded, admin_email, admin_password, tenant=tenant_id)  # its first admin signs in

        await page.fill("#f-reason", "browser test")
        await walk.click(page.locator("form[action*='/suspend'] button[type=submit]"))
        assert t["suspended"] in await page.content()
        await walk.click(page.locator("form[action*='/resume'] button[type=submit]"))
        assert t["resumed"] in await page.content()
        await walk.open("/console/tenants")
        assert await page.locator(f"a[href^='/console/tenants/{tenant_id}']").count() == 1
        assert walk.violations == [], walk.violations
    finally:
        await context.close()
