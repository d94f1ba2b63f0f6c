"""The disclosure workflow of the IPE walkthrough, one function per step, against any running deployment.

The distributed test (every service its own process) and the embedded test (one process) call these
steps in the walkthrough's order. A deployment is where each service's API answers, where the public
site is, and the inbox its mail lands in (Mailpit, or the embedded mail catcher's Maildir).
"""

import io
import mailbox
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ContentStream

from bluemap_records.uscc import check_digit
from bluemap_shared.testing import Mailpit, eventually

TENANT = "ipe"
# Kafka hops, a WeasyPrint render and SMTP on a busy 2-CPU machine: generous, never slept through.
TIMEOUT = 90.0
PDF_EMAIL_SUBJECT = "请签章并上传公开说明"
REJECTED_EMAIL_SUBJECT = "公开说明未通过审核"

ENTERPRISE_NAME = "陕西永安兴庆门业有限公司"
ENTERPRISE_NAME_EN = "Shaanxi Yong'an Xingqing Door Industry Co., Ltd."

# STEP 2 of the walkthrough: the two environmental supervision records of 2020.
WALKTHROUGH_RECORDS: tuple[dict[str, Any], ...] = (
    {
        "record_type": "environmental_supervision",
        "year": 2020,
        "source_title": "关于对强化监督定点帮扶发现问题进行督办的函(西安)",
        "issuing_authority": "中华人民共和国生态环境部",
        "issued_on": "2020-02-20",
        "source_url": "https://www.mee.gov.cn/",
        "summary": "强化监督定点帮扶发现：喷漆房废气收集处理设施未正常运行。",
    },
    {
        "record_type": "environmental_supervision",
        "year": 2020,
        "source_title": "陕西永安兴庆门业有限公司行政处罚决定书",
        "issuing_authority": "信用中国(陕西)",
        "issued_on": "2020-03-09",
        "source_url": "https://credit.shaanxi.gov.cn/",
        "summary": "行政处罚：未按规定运行大气污染防治设施，罚款人民币十万元。",
    },
)
# Real-time Monitoring Data of the walkthrough: explained with the exceedance itself.
MONITORING_RECORD: dict[str, Any] = {
    "record_type": "automated_monitoring",
    "year": 2020,
    "source_title": "重点排污单位自动监测数据超标记录(2020年4月)",
    "issuing_authority": "陕西省生态环境厅",
    "issued_on": "2020-04-15",
    "summary": "烘干炉排气筒氮氧化物小时均值超标。",
}

# The three answers of STEP 4, in Chinese, each short enough to stay on one line of the PDF.
EXPLANATIONS: tuple[dict[str, Any], ...] = (
    {
        "violation": "喷漆房废气收集处理设施在检修期间停运三天。",
        "reasons": "设备检修未提前报备，备用活性炭吸附装置未启用。",
        "corrective_actions": "已恢复运行，加装在线监控并建立检修报备制度。",
    },
    {
        "violation": "未按规定运行大气污染防治设施，被处罚款十万元。",
        "reasons": "环保管理人员变动，运行台账交接不清。",
        "corrective_actions": "罚款已缴清，设立专职环保岗位并每日巡检。",
    },
)
MONITORING_EXPLANATION: dict[str, Any] = {
    "violation": "烘干炉排气筒氮氧化物小时均值超过排放限值。",
    "reasons": "低氮燃烧器点火异常，持续约两小时。",
    "corrective_actions": "更换燃烧器点火组件，增加每班巡检频次。",
    "monitoring": {
        "pollutant": "氮氧化物",
        "measured_value": "186.4",
        "limit_value": "150",
        "unit": "mg/m³",
        "period_start": "2020-04-12T01:00:00+08:00",
        "period_end": "2020-04-12T03:00:00+08:00",
    },
}


# ---------------------------------------------------------------------------- mail


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Email:
    """A message as the enterprise receives it."""

    subject: str
    text: str
    attachments: list[Attachment]

    def pdf(self) -> Attachment:
        """The one PDF attached."""
        [pdf] = [a for a in self.attachments if a.content_type == "application/pdf"]
        return pdf


class Inbox(Protocol):
    async def emails(self, to: str, subject: str) -> list[Email]:
        """Messages to an address whose subject contains `subject`, newest first."""
        ...


class MailpitInbox:
    """Mail a distributed deployment sent, read back through Mailpit's REST API."""

    def __init__(self, mailpit: Mailpit) -> None:
        self.mailpit = mailpit

    async def emails(self, to: str, subject: str) -> list[Email]:
        found = []
        for summary in await self.mailpit.messages(to):
            if subject not in summary["Subject"]:
                continue
            detail = await self.mailpit.message(summary["ID"])
            attachments = []
            async with httpx.AsyncClient(timeout=30) as client:
                for part in detail.get("Attachments") or []:
                    response = await client.get(
                        f"{self.mailpit.api}/api/v1/message/{summary['ID']}/part/{part['PartID']}"
                    )
                    response.raise_for_status()
                    attachments.append(Attachment(part["FileName"], part["ContentType"], response.content))
            found.append(Email(detail["Subject"], detail["Text"], attachments))
        return found


class MaildirInbox:
    """Mail the embedded default caught, read from its Maildir."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def emails(self, to: str, subject: str) -> list[Email]:
        parser = BytesParser(policy=policy.default)
        box = mailbox.Maildir(self.path, factory=None, create=True)
        messages: list[EmailMessage] = [
            parser.parsebytes(box.get_bytes(key))  # type: ignore[misc]
            for key in box.iterkeys()
        ]
        found = []
        for message in sorted(messages, key=lambda m: m["Date"].datetime, reverse=True):
            if to not in str(message["To"]) or subject not in str(message["Subject"]):
                continue
            body = message.get_body(preferencelist=("plain",))
            attachments = [
                Attachment(part.get_filename() or "", part.get_content_type(), part.get_content())
                for part in message.iter_attachments()
            ]
            found.append(Email(str(message["Subject"]), body.get_content() if body else "", attachments))
        return found


async def wait_for_email(inbox: Inbox, to: str, subject: str, *, count: int = 1) -> list[Email]:
    """At least `count` messages to `to` about `subject`, newest first."""

    async def arrived() -> list[Email] | None:
        emails = await inbox.emails(to, subject)
        return emails if len(emails) >= count else None

    result: list[Email] = await eventually(arrived, timeout=TIMEOUT, interval=0.3)
    return result


# ---------------------------------------------------------------------------- deployments and users


@dataclass(frozen=True)
class Deployment:
    """A running platform: each service's API, the public site and the inbox of the mail it sends."""

    apis: Mapping[str, str]
    site: str
    inbox: Inbox

    def api(self, service: str) -> str:
        return self.apis[service]


@dataclass(frozen=True)
class User:
    """A signed-in user of a deployment."""

    deployment: Deployment
    email: str
    headers: dict[str, str]

    def client(self, service: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.deployment.api(service), headers=self.headers, timeout=30)


async def sign_in(deployment: Deployment, email: str, password: str) -> User:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{deployment.api('records')}/v1/auth/token",
            data={"username": email, "password": password, "tenant": TENANT},
        )
    assert response.status_code == 200, response.text
    return User(deployment, email, {"Authorization": f"Bearer {response.json()['access_token']}"})


async def enterprise_of(user: User) -> str:
    """The enterprise an enterprise user's token is linked to."""
    async with user.client("records") as client:
        response = await client.get("/v1/auth/me")
    assert response.status_code == 200, response.text
    return str(response.json()["enterprise_id"])


def new_uscc() -> str:
    first17 = "9161010" + "".join(random.choice("0123456789") for _ in range(10))
    return first17 + check_digit(first17)


# ---------------------------------------------------------------------------- the operator's side


async def register_enterprise(admin: User, *, registered_email: str) -> dict[str, Any]:
    async with admin.client("records") as client:
        response = await client.post(
            "/v1/enterprises",
            json={
                "uscc": new_uscc(),
                "name": ENTERPRISE_NAME,
                "name_en": ENTERPRISE_NAME_EN,
                "region_code": "610100",
                "registered_emails": [registered_email],
            },
        )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def publish_record(admin: User, enterprise_id: str, record: Mapping[str, Any]) -> dict[str, Any]:
    async with admin.client("records") as client:
        response = await client.post("/v1/records", json={**record, "enterprise_id": enterprise_id})
    assert response.status_code == 201, response.text
    return dict(response.json())


# ---------------------------------------------------------------------------- the enterprise's side


async def records_to_explain(staff: User, count: int) -> list[dict[str, Any]]:
    """STEP 2: the workspace lists the enterprise's explainable records once they reached it."""

    async def listed() -> list[dict[str, Any]] | None:
        async with staff.client("explanations") as client:
            response = await client.get("/v1/records")
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()
        return rows if len(rows) >= count else None

    result: list[dict[str, Any]] = await eventually(listed, timeout=TIMEOUT)
    return result


async def workspace_row(staff: User, record_id: str) -> dict[str, Any]:
    """The record's row in the workspace: its status and the last review comment."""
    async with staff.client("explanations") as client:
        response = await client.get("/v1/records")
    assert response.status_code == 200, response.text
    [row] = [r for r in response.json() if r["record_id"] == record_id]
    return dict(row)


async def accept_commitment(staff: User, kind: Literal["accuracy", "deadline"]) -> dict[str, Any]:
    """STEP 3 (accuracy, before explaining) and STEP 6 (deadline, before sending): read it, Accept."""
    async with staff.client("explanations") as client:
        commitment = await client.get(f"/v1/commitments/{kind}", params={"lang": "zh"})
        assert commitment.status_code == 200, commitment.text
        accepted = await client.post(
            f"/v1/commitments/{kind}/acceptances", json={"version": commitment.json()["version"], "language": "zh"}
        )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["answer"] == "accepted"
    return dict(accepted.json())


async def put_explanation(staff: User, record_id: str, draft: Mapping[str, Any]) -> httpx.Response:
    async with staff.client("explanations") as client:
        return await client.put(f"/v1/records/{record_id}/explanation", json=dict(draft))


async def save_explanation(staff: User, record_id: str, draft: Mapping[str, Any]) -> dict[str, Any]:
    """STEP 4: Save the three answers (404 until the record has reached the explanations service)."""

    async def saved() -> httpx.Response | None:
        response = await put_explanation(staff, record_id, draft)
        return None if response.status_code == 404 else response

    response: httpx.Response = await eventually(saved, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def send(staff: User, record_ids: Sequence[str]) -> httpx.Response:
    """STEP 5: Send Public Explanation of the selected records."""
    async with staff.client("explanations") as client:
        return await client.post("/v1/submissions", json={"record_ids": list(record_ids)})


async def submission(user: User, submission_id: str) -> dict[str, Any]:
    async with user.client("explanations") as client:
        response = await client.get(f"/v1/submissions/{submission_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def rendered_pdf(user: User, submission_id: str) -> dict[str, Any]:
    """What the explanations service learnt of the submission's PDF (PdfRendered): its number and code."""

    async def announced() -> dict[str, Any] | None:
        rendered = (await submission(user, submission_id))["documents"]["rendered"]
        return dict(rendered) if rendered and rendered["verification_code"] else None

    result: dict[str, Any] = await eventually(announced, timeout=TIMEOUT)
    return result


def compact(text: str) -> str:
    """Text without whitespace: PDF lines wrap anywhere, even inside a verification code."""
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: bytes) -> str:
    """Every page's text, whitespace removed (compare with compact(...))."""
    return compact("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


async def explanation_pdf_email(deployment: Deployment, to: str, *, count: int = 1) -> Email:
    """STEP 7: the newest email with the public explanation PDF, at the registered address."""
    emails = await wait_for_email(deployment.inbox, to, PDF_EMAIL_SUBJECT, count=count)
    return emails[0]


def verification_code_of(email: Email) -> str:
    """The verification code the email states (the PDF prints the same)."""
    match = re.search(r"验证码[：:]\s*([0-9a-f]{64})", email.text)
    assert match, email.text
    return match[1]


def signed_copy(pdf: bytes) -> bytes:
    """STEP 8: the PDF as printed, sealed (a red circle on its last page) and scanned back."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    page = writer.pages[-1]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    seal = PageObject.create_blank_page(width=width, height=height)
    x, y, r = width - 150, 140, 50
    k = 0.5523 * r  # Bézier handles of a circle
    stream = ContentStream(None, None)
    stream.set_data(
        (
            f"q 0.85 0.1 0.1 RG 3 w {x + r} {y} m "
            f"{x + r} {y + k} {x + k} {y + r} {x} {y + r} c {x - k} {y + r} {x - r} {y + k} {x - r} {y} c "
            f"{x - r} {y - k} {x - k} {y - r} {x} {y - r} c {x + k} {y - r} {x + r} {y - k} {x + r} {y} c S Q"
        ).encode()
    )
    seal.replace_contents(stream)
    page.merge_page(seal)
    writer.add_metadata({"/Producer": "Blue Map e2e scanner"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def supporting_pdf(title: str = "Corrective action plan") -> bytes:
    """STEP 12: a one-page corrective action plan, written fresh."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    stream = ContentStream(None, None)
    stream.set_data(b"q 0 0 0 RG 1 w 72 700 451 60 re S 72 600 m 523 600 l S Q")
    page.replace_contents(stream)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def upload_signed(staff: User, submission_id: str, pdf: bytes, filename: str) -> httpx.Response:
    """STEP 9-10: Upload Public Explanation, then Submit."""
    async with staff.client("documents") as client:
        return await client.post(
            f"/v1/submissions/{submission_id}/signed", files={"file": (filename, pdf, "application/pdf")}
        )


async def upload_supporting(
    staff: User, record_ids: Sequence[str], pdf: bytes, filename: str, category: str = "corrective_action_plan"
) -> httpx.Response:
    """STEP 11-12: a supporting document about corrective actions, in a category, naming its records."""
    async with staff.client("documents") as client:
        return await client.post(
            "/v1/documents",
            files={"file": (filename, pdf, "application/pdf")},
            data={"category": category, "record_ids": ",".join(record_ids)},
        )


async def verify(deployment: Deployment, code: str) -> httpx.Response:
    """The documents service's public check of a verification code (no token)."""
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.get(f"{deployment.api('documents')}/v1/verify/{code}")


# ---------------------------------------------------------------------------- the reviewer's side


async def submission_under_review(reviewer: User, submission_id: str) -> dict[str, Any]:
    """The submission in the review console once the signed scan put every explanation under review."""

    async def reviewable() -> dict[str, Any] | None:
        async with reviewer.client("explanations") as client:
            response = await client.get(f"/v1/review/submissions/{submission_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        signed = body["status"] == "signed" and body["documents"]["signed"] is not None
        return body if signed and all(i["explanation_status"] == "under_review" for i in body["items"]) else None

    result: dict[str, Any] = await eventually(reviewable, timeout=TIMEOUT)
    return result


Verdict = tuple[Literal["approved", "rejected"], str | None]


async def review_submission(
    reviewer: User,
    submission: Mapping[str, Any],
    verdicts: Mapping[str, Verdict] | None = None,
    *,
    scan: Verdict | None = ("approved", None),
    comment: str | None = None,
) -> httpx.Response:
    """One review of the whole submission (explanations decide it in one transaction): every explanation
    approved unless `verdicts` says otherwise by explanation id, the scan in force as `scan` says."""
    verdicts = verdicts or {}
    body: dict[str, Any] = {
        "explanations": [
            {"explanation_id": i["explanation_id"], "decision": decision, "comment": note}
            for i in submission["items"]
            if i["outcome"] == "pending"
            for decision, note in [verdicts.get(i["explanation_id"], ("approved", None))]
        ],
        "comment": comment,
    }
    signed = submission["documents"]["signed"]
    if scan is not None and signed is not None:
        body["scan"] = {"document_id": signed["document_id"], "decision": scan[0], "comment": scan[1]}
    async with reviewer.client("explanations") as client:
        return await client.post(f"/v1/submissions/{submission['id']}/review", json=body)


async def pending_documents(reviewer: User) -> list[dict[str, Any]]:
    async with reviewer.client("documents") as client:
        response = await client.get("/v1/review/documents", params={"status": "pending", "limit": 200})
    assert response.status_code == 200, response.text
    return list(response.json())


async def decide_document(
    reviewer: User, document_id: str, decision: Literal["approve", "reject"], comment: str | None = None
) -> httpx.Response:
    async with reviewer.client("documents") as client:
        return await client.post(
            f"/v1/review/documents/{document_id}/{decision}",
            json={"comment": comment} if comment is not None else {},
        )


# ---------------------------------------------------------------------------- what the public sees


async def public_page(deployment: Deployment, enterprise_id: str, expected: Sequence[str]) -> str:
    """The portal's enterprise page once it shows every expected text (its read model catches up)."""

    async def shows_all() -> str | None:
        async with httpx.AsyncClient(timeout=30) as client:
            page = await client.get(f"{deployment.site}/enterprises/{enterprise_id}")
        assert page.status_code == 200, page.text[:2000]
        missing = [text for text in expected if text not in page.text]
        assert not missing, f"not on the page yet: {missing}"
        return page.text

    result: str = await eventually(shows_all, timeout=TIMEOUT, interval=0.5)
    return result


async def public_records(deployment: Deployment, enterprise_id: str, display_status: str) -> dict[str, dict[str, Any]]:
    """The portal's JSON of the enterprise's records by id, once every one is shown in `display_status`."""

    async def all_in_status() -> dict[str, dict[str, Any]]:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(f"{deployment.api('public-portal')}/v1/enterprises/{enterprise_id}")
        assert response.status_code == 200, response.text
        records = {r["id"]: r for group in response.json()["record_groups"] for r in group["records"]}
        shown = {r["display_status"] for r in records.values()}
        assert shown == {display_status}, f"display statuses {shown}"
        return records

    result: dict[str, dict[str, Any]] = await eventually(all_in_status, timeout=TIMEOUT, interval=0.3)
    return result


async def download(url: str) -> httpx.Response:
    """A public download, as a browser follows it (S3 storage answers with a redirect to a presigned URL)."""
    async with httpx.AsyncClient(timeout=30, follow_redirects=True) as client:
        return await client.get(url)


async def record_reaches(user: User, record_id: str, status: str) -> dict[str, Any]:
    """The record as the records service tells it, once its lifecycle reached `status`."""

    async def reached() -> dict[str, Any]:
        async with user.client("records") as client:
            response = await client.get(f"/v1/records/{record_id}")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status, f"status {response.json()['status']}"
        return dict(response.json())

    result: dict[str, Any] = await eventually(reached, timeout=TIMEOUT, interval=0.3)
    return result
