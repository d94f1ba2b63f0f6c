"""Rejected, then sent again, in a real browser: the reviewer decides the whole submission in one form.

The enterprise's sending and uploads go through the APIs (the walkthrough covers those pages); the
reviewer's console, the enterprise's workspace and the public pages are seen in Chromium. Screenshots:
docs/screenshots/workflow/.
"""

import uuid
from typing import Any

import pytest

from tests.browser.walkthrough_support import (
    ENTERPRISE,
    REPO,
    REVIEWER,
    Embedded,
    embedded,
    walkthrough_browser,
)
from tests.e2e import workflow_steps as steps
from tests.e2e.workflow_steps import Deployment, MaildirInbox, User

pytestmark = [pytest.mark.browser, pytest.mark.integration]
__all__ = ["embedded", "walkthrough_browser"]  # fixtures the test below uses

SCREENSHOTS = REPO / "docs" / "screenshots" / "workflow"
FIRST_SCAN, SECOND_SCAN = "first-signed-scan.pdf", "second-signed-scan.pdf"


class Shots:
    """Numbered full-page screenshots into docs/screenshots/workflow/."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.step = 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob("*.png"):
            old.unlink()

    async def take(self, name: str) -> None:
        self.step += 1
        assert await self.page.locator("h1").count() == 1, self.page.url
        await self.page.screenshot(path=str(SCREENSHOTS / f"{self.step:02d}-{name}.png"), full_page=True)


async def send_and_upload(deployment: Deployment, staff: User, record_ids: list[str], drafts: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    """The enterprise saves, sends, receives the PDF and uploads its signed scan (through the APIs)."""
    for record_id, draft in zip(record_ids, drafts, strict=True):
        await steps.save_explanation(staff, record_id, draft)
    before = len(await deployment.inbox.emails(ENTERPRISE[0], steps.PDF_EMAIL_SUBJECT))
    await steps.accept_commitment(staff, "deadline")  # accepted at each Send, as in the seed
    sent = await steps.send(staff, record_ids)
    assert sent.status_code == 201, sent.text
    email = await steps.explanation_pdf_email(deployment, ENTERPRISE[0], count=before + 1)
    name = FIRST_SCAN if before == 0 else SECOND_SCAN
    uploaded = await steps.upload_signed(staff, str(sent.json()["id"]), steps.signed_copy(email.pdf().data), name)
    assert uploaded.status_code == 201, uploaded.text
    return str(sent.json()["id"]), steps.verification_code_of(email)


async def log_in(page: Any, embedded: Embedded, path: str, login: tuple[str, str]) -> None:
    await page.goto(embedded.at(f"{path}?lang=en"))
    await page.fill("#username", login[0])
    await page.fill("#password", login[1])
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log in", exact=True).click()


async def log_out(page: Any) -> None:
    async with page.expect_navigation():
        await page.locator("form.logout button").click()


async def open_submission(page: Any, embedded: Embedded, submission_id: str) -> None:
    """The console's submission page, once the signed scan put it up for review."""
    # Not waiting for "load": that waits for the PDF frames, slow on a busy machine.
    await page.goto(embedded.at(f"/console/submissions/{submission_id}"), wait_until="domcontentloaded")
    for _ in range(60):
        if await page.locator("form[action*='/review']").count():
            return
        await page.wait_for_timeout(500)
        await page.reload(wait_until="domcontentloaded")
    raise AssertionError("the submission never came up for review")


async def test_rejected_then_sent_again(walkthrough_browser: Any, embedded: Embedded) -> None:
    deployment = Deployment(
        apis={s: embedded.at(f"/api/{s}") for s in ("records", "explanations", "documents", "notifications")},
        site=embedded.base_url,
        inbox=MaildirInbox(embedded.data_dir / "mail"),
    )
    staff = await steps.sign_in(deployment, *ENTERPRISE)
    enterprise_id = await steps.enterprise_of(staff)
    record_ids = [str(r["record_id"]) for r in await steps.records_to_explain(staff, 2)]
    await steps.accept_commitment(staff, "accuracy")
    await steps.accept_commitment(staff, "deadline")
    marker = uuid.uuid4().hex[:6]
    rejected_text = f"{steps.EXPLANATIONS[1]['violation']}（初稿{marker}）"
    first_id, first_code = await send_and_upload(
        deployment, staff, record_ids, [steps.EXPLANATIONS[0], {**steps.EXPLANATIONS[1], "violation": rejected_text}]
    )

    context = await walkthrough_browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        shots = Shots(page)

        # The reviewer: one form decides both explanations and the signed scan.
        await log_in(page, embedded, "/console", REVIEWER)
        await open_submission(page, embedded, first_id)
        await shots.take("console-submission-to-review")
        form = page.locator("form[action*='/review']")
        fieldsets = form.locator("fieldset")
        assert await fieldsets.count() == 3  # two explanations and the signed copy
        comment = f"Explanation 2 does not match the record; rewrite it ({marker})."
        for index in range(2):
            fieldset = fieldsets.nth(index)
            if rejected_text in await page.locator(f"#{(await fieldset.get_attribute('id'))[7:]}").inner_text():
                await fieldset.locator("input[value=rejected]").check()
                await fieldset.locator("textarea").fill(comment)
            else:
                await fieldset.locator("input[value=approved]").check()
        await fieldsets.nth(2).locator("input[value=approved]").check()
        await shots.take("console-explanation-2-rejected")
        async with page.expect_navigation():
            await form.get_by_role("button", name="Send the decision").click()
        assert "Returned to the enterprise" in await page.locator("[role=status]").first.inner_text()
        assert await page.locator("form[action*='/review']").count() == 0
        await shots.take("console-submission-returned")
        await log_out(page)

        # Nothing of it is public: the enterprise page, the verify page.
        await page.goto(embedded.at(f"/enterprises/{enterprise_id}?lang=en"))
        text = await page.locator("main").inner_text()
        assert rejected_text not in text
        assert FIRST_SCAN not in text
        await shots.take("public-page-nothing-returned-is-public")
        await page.goto(embedded.at(f"/verify/{first_code}?lang=en"))
        assert FIRST_SCAN not in await page.locator("main").inner_text()
        await shots.take("verify-page-of-the-returned-pdf")

        # The enterprise sees why, edits, and sends again (a new PDF, a new scan).
        await log_in(page, embedded, "/workspace", ENTERPRISE)
        await page.goto(embedded.at("/workspace/disclosure?lang=en"))
        for _ in range(40):
            if comment in await page.locator("main").inner_text():
                break
            await page.wait_for_timeout(500)
            await page.reload()
        section = page.locator("details#type-environmental_supervision")
        await section.locator("summary").click()  # the record returned, and why, beside its explanation
        assert comment in await section.locator(".notice-error").first.inner_text()
        await shots.take("workspace-returned-with-the-comment")
        await log_out(page)
        second_id, second_code = await send_and_upload(deployment, staff, record_ids, list(steps.EXPLANATIONS[:2]))
        assert second_code != first_code

        # The reviewer approves the new submission in one request.
        await log_in(page, embedded, "/console", REVIEWER)
        await open_submission(page, embedded, second_id)
        await shots.take("console-sent-again")
        async with page.expect_navigation():
            await page.get_by_role("button", name="Approve the signed copy and every explanation").click()
        assert await page.locator("[role=status]").first.is_visible()
        await shots.take("console-published")
        await log_out(page)

        # Public now: the new explanations and the new scan, never the returned ones.
        await page.goto(embedded.at(f"/enterprises/{enterprise_id}?lang=en"))
        for _ in range(60):
            text = await page.locator("main").inner_text()
            if SECOND_SCAN in text and steps.EXPLANATIONS[1]["violation"] in text:
                break
            await page.wait_for_timeout(500)
            await page.reload()
        assert SECOND_SCAN in text
        assert rejected_text not in text
        assert FIRST_SCAN not in text
        await shots.take("public-page-published")
        await page.goto(embedded.at(f"/verify/{second_code}?lang=en"))
        assert SECOND_SCAN in await page.locator("main").inner_text()
        await shots.take("verify-page-published")
    finally:
        await context.close()
