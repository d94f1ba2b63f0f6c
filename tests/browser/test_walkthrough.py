"""The disclosure walkthrough in a real browser, in Chinese and in English, on the embedded default.

The enterprise explains its Environmental Supervision Records, sends them, reads the PDF from the mail,
uploads the signed scan and supporting documents; the reviewer approves them in the console; the
public enterprise page shows the explanation and the documents. Screenshots: test-artifacts/browser/.
"""

import re
from typing import Any

import pytest

from tests.browser.walkthrough_support import (
    ARTIFACTS,
    ENTERPRISE,
    REVIEWER,
    Embedded,
    embedded,
    pdf_bytes,
    scanned,
    wait_for_mail_with_pdf,
    walkthrough_browser,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]
__all__ = ["embedded", "walkthrough_browser"]  # fixtures the tests below use

SECTION = "environmental_supervision"
TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "html_lang": "zh-Hans",
        "log_in": "登录",
        "log_out": "退出登录",
        "logged_out": "您已退出登录。",
        "disclosure": "信息公开",
        "section": "环境监管记录",
        "step1": "就记录作出公开说明",
        "step2": "上传整改措施相关佐证材料",
        "commitment": "承诺",
        "accuracy": "我们保证所提供的全部信息真实、准确，并知悉上述信息将向公众公开。",
        "deadline": "如出现新的违规记录，我们承诺在10个工作日内采取整改措施并作出公开说明。",
        "accept": "接受",
        "decline": "拒绝",
        "declined": "已拒绝承诺",
        "read_again": "重新阅读承诺",
        "show_all": "显示全部",
        "save": "保存",
        "saved": "（已保存）",
        "send": "发送公开说明",
        "fill_in": "发送前请填写并保存此项。",
        "upload": "上传公开说明",
        "submit": "提交",
        "confirmation": ("您填写的公开说明已发送至注册邮箱。请确认后打印，加盖公司公章，并通过您的IPE账户上传。"),
        "uploaded": "签章版公开说明已上传，审核通过后将予以公开。",
        "uploaded_with_warning": (
            "签章版公开说明已上传，但并非每页都能识别出文件验证码，或页数与所发送的 PDF 不一致："
            "审核人员将在公开前与所发送的 PDF 进行比对。"
        ),
        "only_pdf": "仅接受PDF文件。",
        "not_the_scan": "这不是本次提交 PDF 的扫描件",
        "no_data": "暂无数据",
        "list": "已公开文件列表",
        "under_review": "审核中",
        "published": "已公开",
        "console": "审核控制台",
        "approve_all": "批准签章版及全部说明",
        "approve": "批准",
        "approved": "已批准。",
        "violation": "2020年2月强化监督定点帮扶检查发现，喷漆车间活性炭吸附装置未正常运行，部分VOCs废气未经处理排放。",
        "reasons": "活性炭未按规定周期更换，吸附饱和；设施运行台账缺失。",
        "corrective_actions": "已于2020年3月5日更换全部活性炭，第三方检测达标；建立运行台账，每月由EHS主管核查。",
    },
    "en": {
        "html_lang": "en",
        "log_in": "Log in",
        "log_out": "Log out",
        "logged_out": "You have logged out.",
        "disclosure": "Information Disclosure",
        "section": "Environmental Supervision Records",
        "step1": "Disclose public explanation(s) regarding the records",
        "step2": "Upload supporting document(s) regarding corrective action(s)",
        "commitment": "Commitment",
        "accuracy": (
            "We guarantee that all information provided is genuine and accurate. "
            "We acknowledge that the information will be disclosed to the public."
        ),
        "deadline": "we promise to take corrective actions and make public explanations within 10 working days.",
        "accept": "Accept",
        "decline": "Decline",
        "declined": "Commitment declined",
        "read_again": "Read the commitment again",
        "show_all": "Show All",
        "save": "Save",
        "saved": "(Saved)",
        "send": "Send Public Explanation",
        "fill_in": "Please fill in and save this field before sending.",
        "upload": "Upload Public Explanation",
        "submit": "Submit",
        "confirmation": (
            "The Public Explanation you filled out has been sent to your registered email address. Please confirm "
            "and print it out, stamp it with your company's official seal and upload it via your IPE account."
        ),
        "uploaded": "The signed public explanation was uploaded. It will be reviewed before it is published.",
        "uploaded_with_warning": (
            "The signed public explanation was uploaded, but not every page showed the document's code or the "
            "page count differs: a reviewer will compare it with the PDF sent before it is published."
        ),
        "only_pdf": "Only PDF files are accepted.",
        "not_the_scan": "This is not a scan of this submission's PDF",
        "no_data": "No Data",
        "list": "List of disclosed document(s)",
        "under_review": "Under review",
        "published": "Published",
        "console": "Review console",
        "approve_all": "Approve the signed copy and every explanation",
        "approve": "Approve",
        "approved": "Approved.",
        "violation": "In February 2020 an inspection found the activated-carbon adsorber of the spray-painting "
        "workshop not running; part of the VOC exhaust was released untreated.",
        "reasons": "The activated carbon was not replaced on schedule and was saturated; no operating log was kept.",
        "corrective_actions": "All carbon was replaced on 5 March 2020 and a third-party test confirmed compliance; "
        "an operating log is now checked monthly by the EHS manager.",
    },
}


class Walk:
    """One walkthrough: its language, its page, numbered screenshots, and checks every page passes."""

    def __init__(self, page: Any, embedded: Embedded, lang: str) -> None:
        self.page = page
        self.embedded = embedded
        self.lang = lang
        self.t = TEXT[lang]
        self.folder = ARTIFACTS / f"walkthrough-{lang}"
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.step = 0
        self.csp_violations: list[str] = []
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.csp_violations.append(message.text)

    async def shot(self, name: str) -> None:
        """Screenshot of the step, after the page's own checks: language, labels, no server error."""
        self.step += 1
        await self.check_page()
        await self.page.screenshot(path=str(self.folder / f"{self.step:02d}-{name}.png"), full_page=True)

    async def check_page(self) -> None:
        page = self.page
        if "/mail/" not in page.url:
            assert await page.get_attribute("html", "lang") == self.t["html_lang"], page.url
            unlabelled = await page.evaluate(
                """() => [...document.querySelectorAll('input, select, textarea')]
                    .filter(e => e.type !== 'hidden' && e.type !== 'submit')
                    .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')
                                 && !e.getAttribute('aria-labelledby'))
                    .map(e => e.name || e.id)"""
            )
            assert unlabelled == [], f"form fields without a label on {page.url}: {unlabelled}"
            assert await page.locator("h1").count() == 1, page.url
        assert self.csp_violations == [], self.csp_violations

    async def click(self, locator: Any) -> None:
        """Click what navigates (a link or a form's button) and wait for the next page."""
        async with self.page.expect_navigation():
            await locator.click()

    async def log_in(self, email: str, password: str) -> None:
        page = self.page
        await page.fill("#username", email)
        await page.fill("#password", password)
        await self.click(page.get_by_role("button", name=self.t["log_in"], exact=True))

    async def log_out(self) -> None:
        await self.click(self.page.locator("form.logout button"))
        assert await self.page.get_by_text(self.t["logged_out"]).is_visible()


async def walk_the_walkthrough(browser: Any, embedded: Embedded, lang: str, *, javascript: bool) -> None:
    context = await browser.new_context(
        locale="zh-CN" if lang == "zh" else "en-US",
        viewport={"width": 1280, "height": 900},
        java_script_enabled=javascript,
    )
    try:
        page = await context.new_page()
        walk = Walk(page, embedded, lang)
        await enterprise_explains_and_sends(walk)
        enterprise_page = await enterprise_uploads(walk)
        await reviewer_approves(walk)
        await public_sees_it(walk, enterprise_page)
    finally:
        await context.close()


async def enterprise_explains_and_sends(walk: Walk) -> None:
    page, t = walk.page, walk.t
    await page.goto(walk.embedded.at(f"/workspace?lang={walk.lang}"))
    assert "/login" in page.url  # the workspace needs a login, and comes back after it
    await walk.shot("login")
    await walk.log_in(*ENTERPRISE)
    assert re.search(r"/workspace(\?|$)", page.url)
    await walk.shot("my-green-choice")

    # STEP 1: Information Disclosure in the menu.
    await walk.click(page.locator("nav.workspace-menu").get_by_role("link", name=t["disclosure"], exact=True))
    assert await page.locator("table.disclosed td.no-data").inner_text() == t["no_data"]
    # Pages that are not available say so.
    for key in ("data-submission", "following", "gca-audit", "training"):
        assert await page.locator(f"nav.workspace-menu a[href^='/workspace/{key}']").count() == 1
    section = page.locator(f"details#type-{SECTION}")
    assert not await section.locator(".record-type-body").is_visible()
    await walk.shot("information-disclosure")

    # STEP 2: open Environmental Supervision Records (Show) and choose Step 1.
    await section.locator("summary").click()
    assert await section.get_by_role("link", name=t["step1"]).is_visible()
    assert await section.get_by_role("link", name=t["step2"]).is_visible()
    await walk.shot("section-open")
    await walk.click(section.get_by_role("link", name=t["step1"]))

    # STEP 3: the commitment; in English, Decline first: the flow stops and says why.
    assert await page.locator("h1").inner_text() == t["commitment"]
    assert await page.get_by_text(t["accuracy"]).is_visible()
    await walk.shot("commitment-accuracy")
    if walk.lang == "en":
        await walk.click(page.get_by_role("button", name=t["decline"], exact=True))
        assert await page.locator("h1").inner_text() == t["declined"]
        await walk.shot("commitment-declined")
        await walk.click(page.get_by_role("link", name=t["read_again"]))
    await walk.click(page.get_by_role("button", name=t["accept"], exact=True))

    records = page.locator("article.record")
    assert await records.count() == 2
    await walk.shot("records")

    # Send before explaining: every empty field is named next to its record.
    await walk.click(page.get_by_role("button", name=t["send"]))
    assert await page.locator("article.record.has-errors").count() == 2
    first = records.nth(0)
    assert t["fill_in"] in await first.locator(".field-error").first.inner_text()
    await walk.shot("send-incomplete")

    # STEP 4: Show All, the examples behind ⓘ, the three fields, Save: "(Saved)".
    for index in range(2):
        record = page.locator("article.record").nth(index)
        record_id = (await record.get_attribute("id")).removeprefix("record-")
        details = record.locator("details.show-all")
        if await details.get_attribute("open") is None:
            await details.locator("summary").first.click()
        if index == 0:
            await record.locator("details.example > summary").first.click()
            assert await record.locator(".example-text").first.is_visible()
            await walk.shot("show-all-with-example")
        await record.locator("textarea[name=violation]").fill(walk.t["violation"])
        await record.locator("textarea[name=reasons]").fill(walk.t["reasons"])
        await record.locator("textarea[name=corrective_actions]").fill(walk.t["corrective_actions"])
        await walk.click(record.get_by_role("button", name=t["save"], exact=True))
        saved = page.locator(f"#record-{record_id} .saved")
        assert await saved.inner_text() == t["saved"]
    await walk.shot("saved")

    # STEP 5-6: Send Public Explanation, then the second commitment.
    await walk.click(page.get_by_role("button", name=t["send"]))
    assert await page.locator("h1").inner_text() == t["commitment"]
    assert await page.get_by_text(t["deadline"], exact=False).is_visible()
    await walk.shot("commitment-deadline")
    await walk.click(page.get_by_role("button", name=t["accept"], exact=True))
    assert await page.locator(".confirmation").inner_text() == t["confirmation"]
    await walk.shot("sent-confirmation")


async def enterprise_uploads(walk: Walk) -> str:
    """STEP 7-12; returns the enterprise's public page, for the end of the walk."""
    page, t = walk.page, walk.t

    # STEP 7: the public explanation PDF in the registered mailbox.
    mail = await wait_for_mail_with_pdf(walk.embedded, ENTERPRISE[0])
    [pdf] = [p for p in mail.iter_attachments() if p.get_content_type() == "application/pdf"]
    content = pdf.get_payload(decode=True)
    assert isinstance(content, bytes)
    assert content.startswith(b"%PDF-")
    (walk.folder / "public-explanation-from-mail.pdf").write_bytes(content)
    workspace = page.url
    await page.goto(walk.embedded.at("/mail/"))
    await walk.shot("mail-catcher")
    await page.goto(workspace)

    # STEP 8-10: Upload Public Explanation, a PDF refused first, then the signed scan.
    await walk.click(page.get_by_role("link", name=t["upload"]))
    form = page.locator("form.upload").first
    await form.locator("input[type=file]").set_input_files(
        files=[{"name": "scan.txt", "mimeType": "text/plain", "buffer": b"not a PDF"}]
    )
    await walk.click(form.get_by_role("button", name=t["submit"]))
    assert t["only_pdf"] in await page.locator("article.submission .field-error").first.inner_text()
    await walk.shot("upload-refused")
    # A PDF, but not the scan of this submission's PDF (an invoice): refused, saying what to upload.
    form = page.locator("form.upload").first
    await form.locator("input[type=file]").set_input_files(
        files=[{"name": "发票.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("Invoice")}]
    )
    await walk.click(form.get_by_role("button", name=t["submit"]))
    assert t["not_the_scan"] in await page.locator("article.submission .field-error").first.inner_text()
    await walk.shot("upload-not-the-scan")
    form = page.locator("form.upload").first
    # The mailed PDF, signed and scanned; the scanner cut off the first page's footer (its code and QR
    # code), so the scan is accepted with a warning the reviewer sees.
    signed = scanned(content, footer_cut_on_first_page=True)
    await form.locator("input[type=file]").set_input_files(
        files=[{"name": "签章版公开说明.pdf", "mimeType": "application/pdf", "buffer": signed}]
    )
    await walk.shot("upload-chosen")
    await walk.click(form.get_by_role("button", name=t["submit"]))
    assert await page.locator("[role=status]").first.inner_text() == t["uploaded_with_warning"]
    assert await page.get_by_text("签章版公开说明.pdf").first.is_visible()
    await walk.shot("uploaded")

    # STEP 11-12: Step 2, "+" per category, several files at once, Submit.
    await walk.click(page.locator("nav.workspace-menu").get_by_role("link", name=t["disclosure"], exact=True))
    section = page.locator(f"details#type-{SECTION}")
    await section.locator("summary").click()
    await walk.click(section.get_by_role("link", name=t["step2"]))
    assert await page.locator("li.category").count() == 10
    await page.locator("#file-testing_report").set_input_files(
        files=[
            {"name": "检测报告-2020-03.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("Test report")},
            {"name": "VOCs-monitoring.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("VOCs", 2)},
        ]
    )
    await page.locator("#file-corrective_action_plan").set_input_files(
        files=[{"name": "整改方案.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("Plan")}]
    )
    await walk.shot("supporting-documents-chosen")
    await walk.click(page.get_by_role("button", name=t["submit"], exact=True))

    # The List of disclosed documents shows them, under review.
    assert "/workspace/disclosure" in page.url
    table = page.locator("table.disclosed")
    for name in ("签章版公开说明.pdf", "检测报告-2020-03.pdf", "VOCs-monitoring.pdf", "整改方案.pdf"):
        assert await table.get_by_role("link", name=name).count() == 1
    assert await table.locator("tbody tr").count() == 4
    assert await table.locator(".badge-doc-pending").count() == 4
    assert await table.locator(".badge-doc-pending").first.inner_text() == t["under_review"]
    await walk.shot("list-of-disclosed-documents")
    # Each file of the list opens through the portal, with the enterprise's token.
    href = await table.get_by_role("link", name="整改方案.pdf").get_attribute("href")
    answer = await page.request.get(walk.embedded.at(href))
    assert answer.status == 200
    assert (await answer.body()).startswith(b"%PDF-")

    await walk.click(page.locator("nav.workspace-menu a[href^='/workspace/account']"))
    assert await page.get_by_text(ENTERPRISE[0]).first.is_visible()
    public_page = str(await page.locator("a[href^='/enterprises/']").first.get_attribute("href"))
    await walk.shot("account")
    await walk.log_out()
    return public_page


async def reviewer_approves(walk: Walk) -> None:
    page, t = walk.page, walk.t
    await walk.log_in(*REVIEWER)
    assert "/console" in page.url
    assert await page.locator("h1").inner_text() == t["console"]
    await walk.shot("console-queue")

    await walk.click(page.locator("a[href^='/console/submissions/']").first)
    # The signed scan arrives as an event: reload until the explanations are under review.
    for _ in range(40):
        if (
            await page.get_by_role("button", name=t["approve_all"]).count()
            and not await page.locator(".badge-submitted").count()
        ):
            break
        await page.wait_for_timeout(500)
        await page.reload()
    frames = page.locator("iframe.pdf-frame")
    assert await frames.count() == 2  # the rendered PDF and the signed scan, beside the explanations
    for index in range(2):
        source = await frames.nth(index).get_attribute("src")
        answer = await page.request.get(walk.embedded.at(source))
        assert answer.status == 200
        assert answer.headers["content-type"] == "application/pdf"
    assert await page.get_by_text(walk.t["violation"]).first.is_visible()
    assert await page.locator(".scan-warnings").is_visible()  # the first page's code was not found
    await walk.shot("console-submission")
    await walk.click(page.get_by_role("button", name=t["approve_all"]))
    assert await page.locator("[role=status]").first.is_visible()
    assert await page.locator("ol.history li").count() == 3  # two explanations and the signed scan
    await walk.shot("console-approved")

    # The supporting documents, one by one.
    await page.goto(walk.embedded.at("/console?documents=pending"))
    for _ in range(3):
        await walk.click(page.locator("a[href^='/console/documents/']").first)
        if _ == 0:
            await walk.shot("console-document")
        await walk.click(page.locator("form[action*='/approve'] button"))
        assert await page.locator("[role=status]").first.inner_text() == t["approved"]
        await page.goto(walk.embedded.at("/console?documents=pending"))
    assert await page.locator("a[href^='/console/documents/']").count() == 0
    await walk.shot("console-queue-empty")
    await walk.log_out()


async def public_sees_it(walk: Walk, enterprise_page: str) -> None:
    """The public enterprise page: the explanation and the documents, once the events have arrived."""
    page = walk.page
    await page.goto(walk.embedded.at(enterprise_page))
    for _ in range(60):
        text = await page.locator("main").inner_text()
        if walk.t["violation"] in text and "整改方案.pdf" in text and "签章版公开说明.pdf" in text:
            break
        await page.wait_for_timeout(500)
        await page.reload()
    text = await page.locator("main").inner_text()
    assert walk.t["violation"] in text
    assert walk.t["corrective_actions"] in text
    for name in ("签章版公开说明.pdf", "检测报告-2020-03.pdf", "整改方案.pdf"):
        assert name in text
    await walk.shot("public-enterprise-page")


async def test_walkthrough_in_chinese_without_javascript(walkthrough_browser: Any, embedded: Embedded) -> None:
    """Every form posts and redirects on its own: the whole walk with JavaScript switched off."""
    await walk_the_walkthrough(walkthrough_browser, embedded, "zh", javascript=False)


async def test_walkthrough_in_english(walkthrough_browser: Any, embedded: Embedded) -> None:
    await walk_the_walkthrough(walkthrough_browser, embedded, "en", javascript=True)
