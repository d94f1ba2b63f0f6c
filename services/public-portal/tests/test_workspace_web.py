"""The workspace and console as the browser sees them, with the services' APIs answered by a stub.

The portal only talks HTTP to the services (backend-for-frontend), so the stub sits where they would:
login, CSRF, per-field errors from problem+json, uploads passed on, never a 500 page.
"""

import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from bluemap_portal.bootstrap import bootstrap
from bluemap_portal.settings import PortalSettings
from bluemap_portal.workspace.backend import ApiProblem, http_client
from bluemap_portal.workspace.forms import draft_of, values_of
from bluemap_portal.workspace.messages import field_error, problem_message
from bluemap_portal.workspace.session import CSRF_COOKIE, SESSION_COOKIE, safe_next
from bluemap_shared.auth import ENTERPRISE, REVIEWER
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.testing import TokenIssuer

ENTERPRISE_ID = uuid4()
RECORD_ID = uuid4()
API = "http://services.test"
PROBLEM = "application/problem+json"


def problem(status: int, type_: str, **extensions: Any) -> httpx.Response:
    body = {"type": f"https://bluemap.example.org/problems/{type_}", "title": type_, "status": status, "detail": "d"}
    return httpx.Response(status, json=body | extensions, headers={"content-type": PROBLEM})


def record(status: str = "draft") -> dict[str, Any]:
    return {
        "record_id": str(RECORD_ID),
        "tenant_id": "ipe",
        "enterprise_id": str(ENTERPRISE_ID),
        "enterprise_name": "陕西永安兴庆门业有限公司",
        "record_type": "environmental_supervision",
        "explainable": True,
        "year": 2020,
        "source_title": "关于对强化监督定点帮扶发现问题进行督办的函(西安)",
        "issuing_authority": "中华人民共和国生态环境部",
        "issued_on": "2020-02-20",
        "explanation_due_on": None,
        "published_at": "2020-02-21T00:00:00Z",
        "saved": status != "draft",
        "explanation_id": None,
        "status": status,
        "review_comment": "<script>alert(1)</script>" if status == "rejected" else None,
        "reviewed_at": None,
    }


@dataclass
class Stub:
    """The services' APIs: canned answers by (method, path), and every request the portal made."""

    answers: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, path: str, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answers[(method, path)] = answer

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.get((request.method, request.url.path))
        return answer(request) if answer else problem(404, "not-found")


@pytest.fixture
def issuer() -> TokenIssuer:
    return TokenIssuer()


@pytest.fixture
def stub(issuer: TokenIssuer) -> Stub:
    stub = Stub()
    stub.on(
        "POST",
        "/records/v1/auth/token",
        lambda r: (
            httpx.Response(200, json={"access_token": issuer.token("ipe", [ENTERPRISE], ENTERPRISE_ID)})
            if b"password=right-password" in r.content
            else problem(401, "unauthorized")
        ),
    )
    stub.on("GET", "/explanations/v1/commitments/accuracy", lambda r: httpx.Response(200, json=commitment(True)))
    stub.on("GET", "/explanations/v1/records", lambda r: httpx.Response(200, json=[record()]))
    stub.on("GET", "/explanations/v1/guidance", lambda r: httpx.Response(200, json=[]))
    return stub


def commitment(accepted: bool) -> dict[str, Any]:
    response = {"answer": "accepted"} if accepted else None
    return {"kind": "accuracy", "version": 1, "language": "zh", "text": "我们保证……", "response": response}


@pytest.fixture
async def site(tmp_path: Path, issuer: TokenIssuer, stub: Stub) -> AsyncIterator[httpx.AsyncClient]:
    settings = PortalSettings(
        data_dir=tmp_path,
        records_api_url=f"{API}/records",
        explanations_api_url=f"{API}/explanations",
        documents_api_url=f"{API}/documents",
        notifications_api_url=f"{API}/notifications",
        log_json=False,
    )
    portal = bootstrap(settings, InProcessTransport(), token_verifier=issuer.verifier)
    await portal.runtime.migrate()  # the site reads its copy of the tenant registry

    async def stubbed() -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(stub.handle)) as client:
            yield client

    portal.site.dependency_overrides[http_client] = stubbed
    transport = httpx.ASGITransport(app=portal.site)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        yield client
    await portal.runtime.engine.dispose()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


async def logged_in(site: httpx.AsyncClient) -> str:
    page = await site.get("/login")
    answer = await site.post(
        "/login", data={"username": "ehs@example.cn", "password": "right-password", "csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 303
    return answer.headers["location"]


async def test_login_keeps_the_token_in_an_httponly_cookie_and_checks_csrf(site: httpx.AsyncClient, stub: Stub) -> None:
    anonymous = await site.get("/workspace/disclosure")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=%2Fworkspace%2Fdisclosure"

    form = await site.get("/login?lang=en")
    csrf_cookie = form.headers["set-cookie"]
    assert "HttpOnly" in csrf_cookie
    assert "SameSite=lax" in csrf_cookie

    forged = await site.post("/login", data={"username": "ehs@example.cn", "password": "right-password"})
    assert forged.status_code == 403
    assert SESSION_COOKIE not in site.cookies

    wrong = await site.post(
        "/login", data={"username": "ehs@example.cn", "password": "nope", "csrf_token": csrf_of(form.text)}
    )
    assert wrong.status_code == 400
    assert "Wrong email or password." in wrong.text
    assert 'aria-invalid="true"' in wrong.text

    page = await site.get("/login?next=//evil.example/")
    done = await site.post(
        "/login",
        data={
            "username": "ehs@example.cn",
            "password": "right-password",
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/",
        },
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith("/workspace")  # never off-site
    [session] = [c for c in done.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)]
    assert "HttpOnly" in session
    assert "SameSite=lax" in session
    token_request = next(r for r in stub.requests if r.url.path == "/records/v1/auth/token")
    assert b"tenant=ipe" in token_request.content


async def test_the_console_is_for_reviewers(site: httpx.AsyncClient) -> None:
    await logged_in(site)
    answer = await site.get("/console")
    assert answer.status_code == 403
    assert "审核人员" in answer.text


async def test_the_reviewer_sees_the_signed_copys_warnings(
    site: httpx.AsyncClient, stub: Stub, issuer: TokenIssuer
) -> None:
    token = issuer.token("ipe", [REVIEWER], subject="reviewer-1")
    stub.on("POST", "/records/v1/auth/token", lambda r: httpx.Response(200, json={"access_token": token}))
    await logged_in(site)
    submission_id, scan_id = uuid4(), uuid4()
    enterprise = {
        "enterprise_id": str(ENTERPRISE_ID),
        "uscc": "91610100MA6TG7XQ3K",
        "name": "陕西永安兴庆门业有限公司",
        "name_en": None,
    }
    submission = {
        "id": str(submission_id),
        "enterprise": enterprise,
        "status": "signed",
        "language": "zh",
        "submitted_at": "2026-03-02T06:06:00Z",
        "documents": {"rendered": None, "signed": {"document_id": str(scan_id)}},
        "commitments": [],
        "items": [],
    }
    warnings = [
        {"code": "code-missing-on-pages", "detail": "d", "pages": [1, 3], "expected_pages": 3, "scanned_pages": 3},
        {"code": "page-count-mismatch", "detail": "d", "pages": [], "expected_pages": 3, "scanned_pages": 5},
    ]
    scan = {
        "id": str(scan_id),
        "filename": "盖章.pdf",
        "status": "pending",
        "pages": 3,
        "scan_warnings": warnings,
        "decision": None,
    }
    stub.on(
        "GET", f"/explanations/v1/review/submissions/{submission_id}", lambda r: httpx.Response(200, json=submission)
    )
    stub.on("GET", f"/documents/v1/review/documents/{scan_id}", lambda r: httpx.Response(200, json=scan))
    stub.on("GET", "/documents/v1/review/decisions", lambda r: httpx.Response(200, json=[]))

    page = await site.get(f"/console/submissions/{submission_id}?lang=en")
    assert page.status_code == 200, page.text
    assert "Check this signed copy closely" in page.text
    assert "No code of the PDF sent was found on these pages: 1, 3." in page.text
    assert "The signed copy has 5 pages, the PDF sent 3; every page carries its code." in page.text
    chinese = await site.get(f"/console/submissions/{submission_id}?lang=zh")
    assert "以下页面未找到所发送 PDF 的编号或验证码：1, 3。" in chinese.text

    scan["scan_warnings"] = []
    assert "Check this signed copy closely" not in (await site.get(f"/console/submissions/{submission_id}")).text


async def test_api_refusals_appear_next_to_their_field(site: httpx.AsyncClient, stub: Stub) -> None:
    await logged_in(site)
    stub.on(
        "PUT",
        f"/explanations/v1/records/{RECORD_ID}/explanation",
        lambda r: problem(
            422,
            "invalid-input",
            errors=[
                {
                    "location": ["body", "reasons"],
                    "message": "Value error, at most 5000 characters after trimming, got 6000",
                    "type": "value_error",
                }
            ],
        ),
    )
    page = await site.get("/workspace/disclosure/environmental_supervision/explain?lang=en")
    assert page.status_code == 200
    answer = await site.post(
        f"/workspace/disclosure/environmental_supervision/records/{RECORD_ID}?lang=en",
        data={
            "csrf_token": csrf_of(page.text),
            "violation": "<b>v</b>",
            "reasons": "r" * 5001,
            "corrective_actions": "c",
        },
    )
    assert answer.status_code == 422
    field_id = f"r-{RECORD_ID}-reasons"
    assert f'aria-describedby="{field_id}-error"' in answer.text
    assert f'id="{field_id}-error"' in answer.text
    assert "at most 5,000 characters" in answer.text
    assert "&lt;b&gt;v&lt;/b&gt;</textarea>" in answer.text  # kept, escaped


async def test_an_empty_save_is_refused_next_to_each_field_and_never_says_saved(
    site: httpx.AsyncClient, stub: Stub
) -> None:
    await logged_in(site)
    fields = ("violation", "reasons", "corrective_actions")
    stub.on(
        "PUT",
        f"/explanations/v1/records/{RECORD_ID}/explanation",
        lambda r: problem(
            422,
            "invalid-input",
            reason="empty-draft",
            errors=[
                {"location": ["body", f], "message": "write something before saving", "type": "empty-draft"}
                for f in fields
            ],
        ),
    )
    page = await site.get("/workspace/disclosure/environmental_supervision/explain?lang=en")
    answer = await site.post(
        f"/workspace/disclosure/environmental_supervision/records/{RECORD_ID}?lang=en",
        data={"csrf_token": csrf_of(page.text), **{f: " " for f in fields}},
    )
    assert answer.status_code == 422
    for name in fields:
        assert f'id="r-{RECORD_ID}-{name}-error"' in answer.text
    assert answer.text.count("Nothing to save yet: please write at least one of these fields.") >= len(fields)
    assert "Saved." not in answer.text
    assert "(Saved)" not in answer.text


async def test_each_send_asks_for_the_deadline_commitment_again(site: httpx.AsyncClient, stub: Stub) -> None:
    await logged_in(site)
    submission_id = uuid4()
    sent: list[httpx.Request] = []
    accepted: list[dict[str, Any]] = []

    def send(request: httpx.Request) -> httpx.Response:
        if len(sent) >= len(accepted):  # one Send per acceptance, as the explanations service rules
            return problem(409, "commitment-required", kinds=["deadline"], reason="accept-at-each-send")
        sent.append(request)
        return httpx.Response(201, json={"id": str(submission_id)})

    def accept(request: httpx.Request) -> httpx.Response:
        accepted.append(json.loads(request.content))
        return httpx.Response(201, json={"answer": "accepted"})

    stub.on("GET", "/explanations/v1/records", lambda r: httpx.Response(200, json=[record("saved")]))
    stub.on("GET", "/explanations/v1/commitments/deadline", lambda r: httpx.Response(200, json=commitment(True)))
    stub.on("POST", "/explanations/v1/submissions", send)
    stub.on("POST", "/explanations/v1/commitments/deadline/acceptances", accept)
    page = await site.get("/workspace/disclosure/environmental_supervision/explain")
    token = csrf_of(page.text)
    for _ in range(2):
        pressed = await site.post("/workspace/disclosure/environmental_supervision/send", data={"csrf_token": token})
        assert pressed.status_code == 303
        assert pressed.headers["location"] == "/workspace/commitments/deadline?type=environmental_supervision"
        shown = await site.get(pressed.headers["location"])
        assert 'name="answer" value="accept"' in shown.text, "the commitment is shown at every Send"
        answered = await site.post(
            "/workspace/commitments/deadline",
            data={"csrf_token": token, "answer": "accept", "version": "1", "type": "environmental_supervision"},
        )
        assert answered.status_code == 303
        assert answered.headers["location"].endswith(f"/sent/{submission_id}")
    assert (len(accepted), len(sent)) == (2, 2)


async def test_send_errors_name_record_and_field_then_the_deadline_commitment(
    site: httpx.AsyncClient, stub: Stub
) -> None:
    await logged_in(site)
    stub.on("GET", "/explanations/v1/records", lambda r: httpx.Response(200, json=[record("saved")]))
    stub.on(
        "POST",
        "/explanations/v1/submissions",
        lambda r: problem(
            422,
            "submission-incomplete",
            errors=[{"record_id": str(RECORD_ID), "field": "corrective_actions", "reason": "empty"}],
        ),
    )
    page = await site.get("/workspace/disclosure/environmental_supervision/explain")
    answer = await site.post(
        "/workspace/disclosure/environmental_supervision/send", data={"csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 422
    assert f'id="r-{RECORD_ID}-corrective_actions-error"' in answer.text
    assert "发送前请填写并保存此项。" in answer.text

    stub.on("POST", "/explanations/v1/submissions", lambda r: problem(409, "commitment-required", kinds=["deadline"]))
    answer = await site.post(
        "/workspace/disclosure/environmental_supervision/send", data={"csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/workspace/commitments/deadline?type=environmental_supervision"


async def test_review_comments_are_escaped_and_a_broken_service_is_a_503_page(
    site: httpx.AsyncClient, stub: Stub
) -> None:
    await logged_in(site)
    stub.on("GET", "/explanations/v1/records", lambda r: httpx.Response(200, json=[record("rejected")]))
    page = await site.get("/workspace/disclosure/environmental_supervision/explain")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>" not in page.text
    assert page.headers["cache-control"] == "no-store"

    stub.on("GET", "/explanations/v1/records", lambda r: httpx.Response(500, text="boom"))
    broken = await site.get("/workspace/disclosure")
    assert broken.status_code == 503
    assert "服务暂时无法响应" in broken.text


async def test_the_signed_scan_streams_through_with_the_users_token(site: httpx.AsyncClient, stub: Stub) -> None:
    await logged_in(site)
    submission = uuid4()
    seen: dict[str, Any] = {}

    def signed(request: httpx.Request) -> httpx.Response:
        seen["authorization"] = request.headers["authorization"]
        seen["content_type"] = request.headers["content-type"]
        seen["body"] = request.read()
        return problem(415, "unsupported-media-type", reason="not-a-pdf")

    stub.on("POST", f"/documents/v1/submissions/{submission}/signed", signed)
    stub.on("GET", "/explanations/v1/submissions", lambda r: httpx.Response(200, json=[]))
    stub.on("GET", "/documents/v1/disclosures", lambda r: httpx.Response(200, json=[]))
    page = await site.get("/workspace/disclosure/environmental_supervision/upload")
    token = csrf_of(page.text) if "csrf_token" in page.text else site.cookies[CSRF_COOKIE]
    answer = await site.post(
        f"/workspace/submissions/{submission}/signed?type=environmental_supervision&csrf_token={token}",
        files={"file": ("scan.txt", b"not a pdf", "text/plain")},
    )
    assert answer.status_code == 415
    assert seen["authorization"].startswith("Bearer ")
    assert seen["content_type"].startswith("multipart/form-data; boundary=")
    assert b"not a pdf" in seen["body"]

    missing_token = await site.post(
        f"/workspace/submissions/{submission}/signed?type=environmental_supervision",
        files={"file": ("scan.pdf", b"%PDF-1.7", "application/pdf")},
    )
    assert missing_token.status_code == 403


async def test_a_scan_accepted_with_warnings_says_a_reviewer_will_compare_it(
    site: httpx.AsyncClient, stub: Stub
) -> None:
    await logged_in(site)
    submission = uuid4()
    warning = {"code": "code-missing-on-pages", "detail": "d", "pages": [1]}
    stub.on(
        "POST",
        f"/documents/v1/submissions/{submission}/signed",
        lambda r: httpx.Response(201, json={"id": str(uuid4()), "status": "pending", "scan_warnings": [warning]}),
    )
    stub.on("GET", "/explanations/v1/submissions", lambda r: httpx.Response(200, json=[]))
    stub.on("GET", "/documents/v1/disclosures", lambda r: httpx.Response(200, json=[]))
    answer = await site.post(
        f"/workspace/submissions/{submission}/signed?type=environmental_supervision&csrf_token={site.cookies[CSRF_COOKIE]}",
        files={"file": ("scan.pdf", b"%PDF-1.7 scanned", "application/pdf")},
    )
    assert answer.status_code == 303
    assert "done=uploaded-with-warnings" in answer.headers["location"]
    page = await site.get(answer.headers["location"])
    assert "审核人员将在公开前与所发送的 PDF 进行比对" in page.text


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("/workspace/disclosure?open=x", "/workspace/disclosure?open=x"),
        ("//evil.example/", None),
        ("/\\evil.example/", None),
        ("https://evil.example/", None),
        ("workspace", None),
        ("/work\nspace", None),
        ("", None),
        (None, None),
    ],
)
def test_only_local_paths_are_followed_after_login(value: str | None, safe: str | None) -> None:
    assert safe_next(value) == safe


def test_problems_become_translated_messages() -> None:
    refused = ApiProblem(422, "pdf-refused", extensions={"reason": "encrypted"})
    assert problem_message(refused).translated("zh") == "不接受加密或有密码保护的PDF文件。"
    assert problem_message(refused).translated("en") == "Encrypted or password-protected PDF files are not accepted."
    too_big = problem_message(ApiProblem(413, "payload-too-large", extensions={"max_upload_bytes": 20 * 1024 * 1024}))
    assert too_big.translated("en") == "The file is too large: at most 20.0 MB per file."
    unknown = problem_message(ApiProblem(418, "teapot"))
    assert unknown.translated("en").startswith("The request could not be completed.")
    name, message = field_error(
        {"location": ["body", "monitoring", "unit"], "message": "Value error, a single line is expected"}
    )
    assert name == "monitoring.unit"
    assert message.translated("en") == "Please enter a single line."
    invoice = problem_message(ApiProblem(422, "scan-mismatch", extensions={"reason": "code-not-found"}))
    assert invoice.translated("en").startswith("This is not a scan of this submission's PDF")


def test_monitoring_period_is_china_time_both_ways() -> None:
    draft, errors = draft_of(
        {
            "violation": "v",
            "reasons": "r",
            "corrective_actions": "c",
            "monitoring.pollutant": " COD ",
            "monitoring.measured_value": "86.5",
            "monitoring.limit_value": "50",
            "monitoring.unit": "",
            "monitoring.period_start": "2020-07-12T08:00",
            "monitoring.period_end": "tomorrow",
        },
        monitoring=True,
    )
    assert draft["monitoring"]["pollutant"] == "COD"
    assert draft["monitoring"]["unit"] is None
    assert draft["monitoring"]["period_start"] == "2020-07-12T08:00:00+08:00"
    assert list(errors) == ["monitoring.period_end"]
    values = values_of(
        {
            "violation": "v",
            "reasons": "r",
            "corrective_actions": "c",
            "monitoring": {"pollutant": "COD", "period_start": "2020-07-12T00:00:00Z"},
            "document_id": str(UUID(int=1)),
        }
    )
    assert values["monitoring.period_start"] == "2020-07-12T08:00"
    assert values["document_id"] == str(UUID(int=1))


async def test_approve_all_is_one_review_request(site: httpx.AsyncClient, stub: Stub, issuer: TokenIssuer) -> None:
    """The console approves a submission's explanations and its signed scan in one request to explanations."""
    submission_id, scan_id = uuid4(), uuid4()
    items = [{"explanation_id": str(uuid4()), "outcome": "pending"} for _ in range(2)]
    stub.on(
        "POST",
        "/records/v1/auth/token",
        lambda r: httpx.Response(200, json={"access_token": issuer.token("ipe", [REVIEWER], None)}),
    )
    stub.on(
        "GET",
        f"/explanations/v1/review/submissions/{submission_id}",
        lambda r: httpx.Response(
            200,
            json={"id": str(submission_id), "items": items, "documents": {"signed": {"document_id": str(scan_id)}}},
        ),
    )
    stub.on("POST", f"/explanations/v1/submissions/{submission_id}/review", lambda r: httpx.Response(200, json={}))
    await logged_in(site)
    stub.on("GET", "/notifications/v1/emails", lambda r: httpx.Response(200, json=[]))
    console = await site.get("/console/emails")  # any console page: its CSRF token
    assert console.status_code == 200, console.text
    stub.requests.clear()

    done = await site.post(
        f"/console/submissions/{submission_id}/approve-all", data={"csrf_token": csrf_of(console.text)}
    )
    assert done.status_code == 303, done.text
    posts = [r for r in stub.requests if r.method == "POST"]
    assert [r.url.path for r in posts] == [f"/explanations/v1/submissions/{submission_id}/review"]
    assert json.loads(posts[0].content) == {
        "explanations": [{"explanation_id": i["explanation_id"], "decision": "approved"} for i in items],
        "scan": {"document_id": str(scan_id), "decision": "approved"},
    }


async def test_the_workspace_shows_a_restored_record_as_the_public_page_does_with_reason_and_date(
    site: httpx.AsyncClient, stub: Stub
) -> None:
    await logged_in(site)
    restored = record("published") | {
        "record_status": "restored",
        "status_reason": "复查发现未整改 <b>",
        "status_changed_at": "2020-06-01T02:00:00Z",
        "explanation_due_on": "2020-06-15",
    }
    stub.on("GET", "/explanations/v1/records", lambda r: httpx.Response(200, json=[restored]))
    page = await site.get("/workspace/disclosure/environmental_supervision/explain?lang=en")
    assert "Restored: a new explanation is due" in page.text
    assert ">Published<" not in page.text  # the explanation's old state no longer speaks for the record
    assert "复查发现未整改 &lt;b&gt;" in page.text
    assert "2020-06-15" in page.text
    stub.on("GET", "/documents/v1/disclosures", lambda r: httpx.Response(200, json=[]))
    overview = await site.get("/workspace/disclosure?lang=en")
    assert "Restored: a new explanation is due 1" in re.sub(r"<[^>]+>", "", overview.text)
