"""The tenant admin's console pages as the browser sees them, the services' APIs answered by a stub.

What each page asks of which service, with which body; refusals next to their field; who may open what.
Isolation between tenants with the real services: tests/e2e/test_console_embedded.py.
"""

import json
import re
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from test_workspace_web import Stub, csrf_of, issuer, problem, site, stub

from bluemap_portal.workspace.session import SESSION_COOKIE
from bluemap_shared.auth import ADMIN, REVIEWER
from bluemap_shared.testing import TokenIssuer

__all__ = ["issuer", "site", "stub"]  # fixtures of the workspace's web tests, shared

ENTERPRISE_ID = str(uuid4())
RECORD_ID = str(uuid4())
IMPORT_ID = str(uuid4())
USER_ID = str(uuid4())
ADMIN_PAGES = ("/console/enterprises", "/console/records", "/console/imports", "/console/users", "/console/commitments")


def enterprise() -> dict[str, Any]:
    return {
        "id": ENTERPRISE_ID,
        "tenant_id": "ipe",
        "uscc": "91610000220522613X",
        "name": "陕西永安兴庆门业有限公司",
        "name_en": "Shaanxi Yongan Xingqing Door Co., Ltd.",
        "region_code": "610100",
        "industry": None,
        "registered_emails": ["ehs@example.cn"],
        "status": "active",
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2020-01-01T00:00:00Z",
    }


def a_record(status: str = "explained") -> dict[str, Any]:
    return {
        "id": RECORD_ID,
        "tenant_id": "ipe",
        "enterprise_id": ENTERPRISE_ID,
        "record_type": "environmental_supervision",
        "year": 2020,
        "source_title": "关于对强化监督定点帮扶发现问题进行督办的函(西安)",
        "issuing_authority": "中华人民共和国生态环境部",
        "issued_on": "2020-02-20",
        "source_url": None,
        "summary": None,
        "external_id": None,
        "status": status,
        "explanation_due_on": "2020-03-06",
        "revision": 1,
        "published_at": "2020-02-21T00:00:00Z",
        "updated_at": "2020-02-21T00:00:00Z",
        "retracted_at": None,
        "retraction_reason": None,
    }


def an_import(status: str = "completed") -> dict[str, Any]:
    return {
        "id": IMPORT_ID,
        "status": status,
        "filename": "records.csv",
        "format": "csv",
        "encoding": "utf-8",
        "size_bytes": 2048,
        "rows": 3,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        "ignored_columns": [],
        "failure": None,
        "started_at": "2020-02-21T00:00:00Z",
        "finished_at": None if status == "running" else "2020-02-21T00:00:05Z",
        "url": f"/v1/imports/{IMPORT_ID}",
        "errors_csv_url": f"/v1/imports/{IMPORT_ID}/errors.csv",
        "errors": [{"line": 3, "column": "uscc", "reason": "bad USCC check digit <b>"}],
        "errors_truncated": False,
    }


class Chunks(httpx.AsyncByteStream):
    """A body the service streams (a response built from content would count as read already)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data


def ok(body: Any, status: int = 200) -> Any:
    return lambda request: httpx.Response(status, json=body)


def sign_in(site: httpx.AsyncClient, issuer: TokenIssuer, *roles: str) -> None:
    site.cookies.set(SESSION_COOKIE, issuer.token("ipe", list(roles), email="admin@ipe.example.org"))


def sent_json(stub: Stub, method: str, path: str) -> list[Any]:
    return [json.loads(r.content) for r in stub.requests if r.method == method and r.url.path == path]


@pytest.fixture
def admin_stub(stub: Stub) -> Stub:
    """The services' answers the admin's pages read."""
    stub.on("GET", "/records/v1/enterprises", ok({"items": [enterprise()], "next_cursor": None}))
    stub.on("GET", f"/records/v1/enterprises/{ENTERPRISE_ID}", ok(enterprise()))
    stub.on("GET", f"/records/v1/enterprises/{ENTERPRISE_ID}/email-changes", ok([]))
    stub.on("GET", "/records/v1/records", ok({"items": [a_record()], "next_cursor": None}))
    stub.on("GET", f"/records/v1/records/{RECORD_ID}", ok(a_record()))
    stub.on("GET", f"/records/v1/records/{RECORD_ID}/status-history", ok([]))
    stub.on("GET", f"/records/v1/records/{RECORD_ID}/revisions", ok([]))
    stub.on("GET", "/records/v1/imports", ok([an_import()]))
    stub.on("GET", f"/records/v1/imports/{IMPORT_ID}", ok(an_import()))
    stub.on(
        "GET",
        "/records/v1/users",
        ok([{"id": USER_ID, "tenant_id": "ipe", "email": "r@ipe.example.org", "display_name": "R",
             "roles": ["reviewer"], "enterprise_id": None, "locale": "zh", "status": "active",
             "created_at": "2020-01-01T00:00:00Z"}]),
    )  # fmt: skip
    for kind in ("accuracy", "deadline"):
        text = {"kind": kind, "version": 2, "language": "zh", "text": f"{kind} 的承诺", "text_sha256": "0" * 64,
                "published_at": "2020-01-01T00:00:00Z", "response": None}  # fmt: skip
        stub.on("GET", f"/explanations/v1/commitments/{kind}", ok(text))
    stub.on(
        "GET",
        "/explanations/v1/commitment-responses",
        ok([{"id": str(uuid4()), "enterprise_id": ENTERPRISE_ID, "kind": "accuracy", "version": 2, "language": "zh",
             "answer": "accepted", "responded_by": "user-1", "responded_at": "2020-02-01T00:00:00Z",
             "client_ip": "10.0.0.1"}]),
    )  # fmt: skip
    return stub


async def test_reviewers_see_review_and_chat_and_admins_also_their_tenants_pages(
    site: httpx.AsyncClient, issuer: TokenIssuer, admin_stub: Stub
) -> None:
    for path in ADMIN_PAGES:
        anonymous = await site.get(path)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login?next=")
    admin_stub.on("GET", "/explanations/v1/review/submissions", ok([]))
    admin_stub.on("GET", "/documents/v1/review/documents", ok([]))
    sign_in(site, issuer, REVIEWER)
    queue = await site.get("/console?lang=en")
    assert queue.status_code == 200
    assert "/console/enterprises" not in queue.text
    assert "/console/chat" in queue.text
    for path in ADMIN_PAGES:
        refused = await site.get(path, params={"lang": "en"})
        assert refused.status_code == 403, path
        assert "This page is for the tenant" in refused.text
    assert (await site.post(f"/console/records/{RECORD_ID}/resolve", data={"reason": "x"})).status_code == 403
    sign_in(site, issuer, ADMIN)
    queue = await site.get("/console?lang=en")
    for path in ADMIN_PAGES:
        assert f'href="{path}?lang=en"' in queue.text
        page = await site.get(path, params={"lang": "en"})
        assert page.status_code == 200, (path, page.text[-500:])
        assert f'href="{path}?lang=en" aria-current="page"' in page.text
        assert page.headers["cache-control"] == "no-store"
    zh = await site.get("/console/records", params={"lang": "zh"})
    assert '<html lang="zh-Hans">' in zh.text
    assert "记录" in zh.text


async def test_enterprises_search_register_edit_and_ask_for_a_confirmed_email_change(
    site: httpx.AsyncClient, issuer: TokenIssuer, admin_stub: Stub
) -> None:
    sign_in(site, issuer, ADMIN)
    listing = await site.get("/console/enterprises", params={"q": "永安"})
    assert "陕西永安兴庆门业有限公司" in listing.text
    await site.get("/console/enterprises", params={"q": "91610000220522613X"})
    searches = [dict(r.url.params) for r in admin_stub.requests if r.url.path == "/records/v1/enterprises"]
    assert searches[0]["q"] == "永安"
    assert searches[1] == {"uscc": "91610000220522613X"}

    form = await site.get("/console/enterprises/new?lang=en")
    refusal = {"errors": [{"location": ["body", "uscc"], "message": "bad check digit", "type": "value_error"}]}
    admin_stub.on("POST", "/records/v1/enterprises", lambda r: problem(422, "invalid-input", **refusal))
    fields = {"uscc": "91610000220522613Y", "name": "新企业", "registered_emails": "a@x.cn\nb@x.cn\n",
              "csrf_token": csrf_of(form.text)}  # fmt: skip
    refused = await site.post("/console/enterprises/new?lang=en", data=fields)
    assert refused.status_code == 422
    assert 'id="f-uscc-error"' in refused.text
    assert "bad check digit" in refused.text
    assert 'value="新企业"' in refused.text  # what was typed stays
    [sent] = sent_json(admin_stub, "POST", "/records/v1/enterprises")
    assert sent["registered_emails"] == ["a@x.cn", "b@x.cn"]
    assert sent["name_en"] is None
    admin_stub.on("POST", "/records/v1/enterprises", ok(enterprise(), 201))
    created = await site.post("/console/enterprises/new", data=fields)
    assert created.status_code == 303
    assert created.headers["location"].startswith(f"/console/enterprises/{ENTERPRISE_ID}")

    admin_stub.on("PATCH", f"/records/v1/enterprises/{ENTERPRISE_ID}", ok(enterprise()))
    page = await site.get(f"/console/enterprises/{ENTERPRISE_ID}")
    edit = {"name": "陕西永安兴庆门业有限公司", "name_en": "", "region_code": "610100", "industry": "门业",
            "status": "suspended", "csrf_token": csrf_of(page.text)}  # fmt: skip
    saved = await site.post(f"/console/enterprises/{ENTERPRISE_ID}", data=edit)
    assert saved.status_code == 303
    [patch] = sent_json(admin_stub, "PATCH", f"/records/v1/enterprises/{ENTERPRISE_ID}")
    assert patch == {"name": "陕西永安兴庆门业有限公司", "name_en": None, "region_code": "610100", "industry": "门业",
                     "status": "suspended"}  # fmt: skip

    path = f"/records/v1/enterprises/{ENTERPRISE_ID}/email-changes"
    admin_stub.on("POST", path, lambda r: problem(409, "conflict", reason="already-registered"))
    change = {"new_email": "ehs@example.cn", "replaces": "ehs@example.cn", "csrf_token": csrf_of(page.text)}
    conflict = await site.post(f"/console/enterprises/{ENTERPRISE_ID}/email-changes", data=change)
    assert conflict.status_code == 409
    assert 'id="f-new_email-error"' in conflict.text
    admin_stub.on("POST", path, ok({"id": str(uuid4())}, 202))
    asked = await site.post(f"/console/enterprises/{ENTERPRISE_ID}/email-changes", data=change)
    assert asked.status_code == 303
    assert "done=email-change" in asked.headers["location"]
    assert sent_json(admin_stub, "POST", path)[-1] == {"new_email": "ehs@example.cn", "replaces": "ehs@example.cn"}
    forged = await site.post(f"/console/enterprises/{ENTERPRISE_ID}/email-changes", data={"new_email": "x@y.cn"})
    assert forged.status_code == 403
    assert len(sent_json(admin_stub, "POST", path)) == 2


async def test_lifecycle_actions_need_a_reason_and_send_it(
    site: httpx.AsyncClient, issuer: TokenIssuer, admin_stub: Stub
) -> None:
    sign_in(site, issuer, ADMIN)
    page = await site.get(f"/console/records/{RECORD_ID}?lang=en")
    assert f'action="/console/records/{RECORD_ID}/resolve?lang=en"' in page.text
    assert f"/console/records/{RECORD_ID}/restore" not in page.text  # not from "explained"
    assert f'action="/console/records/{RECORD_ID}/retract?lang=en"' in page.text
    token = csrf_of(page.text)
    empty = await site.post(f"/console/records/{RECORD_ID}/resolve?lang=en", data={"reason": "  ", "csrf_token": token})
    assert empty.status_code == 422
    assert 'id="reason-resolve-error"' in empty.text
    assert "the public and the enterprise are told" in empty.text
    assert sent_json(admin_stub, "POST", f"/records/v1/records/{RECORD_ID}/resolve") == []

    admin_stub.on("POST", f"/records/v1/records/{RECORD_ID}/resolve", ok(a_record("resolved")))
    done = await site.post(
        f"/console/records/{RECORD_ID}/resolve", data={"reason": "第三方审核确认已整改", "csrf_token": token}
    )
    assert done.status_code == 303
    assert "done=resolve" in done.headers["location"]
    assert sent_json(admin_stub, "POST", f"/records/v1/records/{RECORD_ID}/resolve") == [
        {"reason": "第三方审核确认已整改"}
    ]
    admin_stub.on(
        "POST",
        f"/records/v1/records/{RECORD_ID}/resolve",
        lambda r: problem(409, "conflict", record_status="resolved"),
    )
    conflict = await site.post(f"/console/records/{RECORD_ID}/resolve", data={"reason": "复查", "csrf_token": token})
    assert conflict.status_code == 409
    assert "复查" in conflict.text


async def test_records_are_published_and_revised_with_refusals_next_to_their_field(
    site: httpx.AsyncClient, issuer: TokenIssuer, admin_stub: Stub
) -> None:
    sign_in(site, issuer, ADMIN)
    form = await site.get("/console/records/new", params={"enterprise_id": ENTERPRISE_ID})
    assert "陕西永安兴庆门业有限公司" in form.text
    refusal = {"errors": [{"location": ["body", "year"], "message": "too early", "type": "greater_than_equal"}]}
    admin_stub.on("POST", "/records/v1/records", lambda r: problem(422, "invalid-input", **refusal))
    fields = {
        "enterprise_id": ENTERPRISE_ID,
        "record_type": "accident",
        "year": "1900",
        "source_title": "标题",
        "issuing_authority": "生态环境局",
        "issued_on": "2020-01-02",
        "csrf_token": csrf_of(form.text),
    }
    refused = await site.post("/console/records/new", data=fields)
    assert refused.status_code == 422
    assert 'id="f-year-error"' in refused.text
    admin_stub.on("POST", "/records/v1/records", ok(a_record("awaiting_explanation"), 201))
    published = await site.post("/console/records/new", data=fields)
    assert published.status_code == 303
    assert published.headers["location"].startswith(f"/console/records/{RECORD_ID}")
    assert sent_json(admin_stub, "POST", "/records/v1/records")[-1]["enterprise_id"] == ENTERPRISE_ID

    admin_stub.on("PATCH", f"/records/v1/records/{RECORD_ID}", ok(a_record()))
    revised = await site.post(f"/console/records/{RECORD_ID}", data=fields | {"year": "2021", "summary": ""})
    assert revised.status_code == 303
    [patch] = sent_json(admin_stub, "PATCH", f"/records/v1/records/{RECORD_ID}")
    assert (patch["year"], patch["summary"]) == ("2021", None)


async def test_an_import_passes_the_file_on_and_shows_counts_rejected_rows_and_errors_csv(
    site: httpx.AsyncClient, issuer: TokenIssuer, admin_stub: Stub
) -> None:
    sign_in(site, issuer, ADMIN)
    page = await site.get("/console/imports")
    assert "records.csv" in page.text
    assert "script-src 'nonce-" in page.headers["content-security-policy"]
    action = re.search(r'id="import-form" method="post" enctype="multipart/form-data" action="([^"]+)"', page.text)
    assert action
    assert "csrf_token=" in action[1]
    admin_stub.on("POST", "/records/v1/imports", ok(an_import(), 201))
    csv = "uscc,name\n91610000220522613X,企业\n".encode()
    files = {"file": ("records.csv", csv, "text/csv")}
    forged = await site.post("/console/imports", files=files)
    assert forged.status_code == 403
    done = await site.post(action[1].replace("&amp;", "&"), files=files, data={"encoding": "utf-8"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/console/imports/{IMPORT_ID}"
    [upload] = [r for r in admin_stub.requests if r.method == "POST" and r.url.path == "/records/v1/imports"]
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert csv in upload.content
    assert b'name="encoding"' in upload.content

    admin_stub.on("POST", "/records/v1/imports", lambda r: problem(422, "invalid-input"))
    refused = await site.post(action[1].replace("&amp;", "&"), files=files)
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text

    result = await site.get(f"/console/imports/{IMPORT_ID}?lang=en")
    assert "bad USCC check digit &lt;b&gt;" in result.text
    assert ">uscc<" in result.text
    assert f'href="/console/imports/{IMPORT_ID}/errors.csv?lang=en"' in result.text
    assert "Refresh" not in result.headers
    admin_stub.on("GET", f"/records/v1/imports/{IMPORT_ID}", ok(an_import("running")))
    running = await site.get(f"/console/imports/{IMPORT_ID}")
    assert running.headers["refresh"] == "2"
    assert "<progress" in running.text

    errors_csv = "\ufeffline,column,reason\n3,uscc,bad\n"
    admin_stub.on(
        "GET",
        f"/records/v1/imports/{IMPORT_ID}/errors.csv",
        lambda r: (
            httpx.Response(200, stream=Chunks(errors_csv.encode()), headers={"content-type": "text/csv"})
            if r.headers.get("authorization", "").startswith("Bearer ")
            else problem(401, "unauthorized")
        ),
    )
    download = await site.get(f"/console/imports/{IMPORT_ID}/errors.csv")
    assert download.status_code == 200
    assert download.text == errors_csv


async def test_users_are_listed_invited_disabled_and_a_missing_api_is_said_plainly(
    site: httpx.AsyncClient, issuer: TokenIssuer, admin_stub: Stub
) -> None:
    sign_in(site, issuer, ADMIN)
    page = await site.get("/console/users?lang=en")
    assert "r@ipe.example.org" in page.text
    assert f"/console/users/{USER_ID}/disable" in page.text
    token = csrf_of(page.text)
    admin_stub.on("POST", "/records/v1/users/invitations", ok({"id": str(uuid4())}, 201))
    invited = await site.post(
        "/console/users/invitations",
        data={"email": "new@ipe.example.org", "role": "reviewer", "locale": "en", "csrf_token": token},
    )
    assert invited.status_code == 303
    assert sent_json(admin_stub, "POST", "/records/v1/users/invitations") == [
        {"email": "new@ipe.example.org", "display_name": "", "roles": ["reviewer"], "locale": "en"}
    ]
    no_enterprise = await site.post(
        "/console/users/invitations", data={"email": "e@x.cn", "role": "enterprise", "csrf_token": token}
    )
    assert no_enterprise.status_code == 422
    assert 'id="f-enterprise_id-error"' in no_enterprise.text
    admin_stub.on("PATCH", f"/records/v1/users/{USER_ID}", ok({}))
    for action, body in (("disable", {"active": False}), ("enable", {"active": True}), ("role", {"roles": ["admin"]})):
        answer = await site.post(f"/console/users/{USER_ID}/{action}", data={"role": "admin", "csrf_token": token})
        assert answer.status_code == 303, action
        assert sent_json(admin_stub, "PATCH", f"/records/v1/users/{USER_ID}")[-1] == body

    # A records service without the users' lifecycle API: its router answers 405 for the list.
    admin_stub.on("GET", "/records/v1/users", lambda r: problem(405, "method-not-allowed"))
    older = await site.get("/console/users?lang=en")
    assert older.status_code == 200
    assert "does not offer this yet" in older.text


async def test_a_new_commitment_version_is_published_in_both_languages_and_answers_are_listed(
    site: httpx.AsyncClient, issuer: TokenIssuer, admin_stub: Stub
) -> None:
    sign_in(site, issuer, ADMIN)
    page = await site.get("/console/commitments?lang=en")
    assert "accuracy 的承诺" in page.text
    assert "陕西永安兴庆门业有限公司" in page.text
    assert "10.0.0.1" in page.text
    admin_stub.on("POST", "/explanations/v1/commitments/deadline/versions", lambda r: problem(422, "invalid-input",
        errors=[{"location": ["body", "en"], "message": "must not be empty", "type": "value_error"}]))  # fmt: skip
    refused = await site.post(
        "/console/commitments/deadline", data={"zh": "新的承诺", "en": "", "csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 422
    assert 'id="deadline-en-error"' in refused.text
    assert "新的承诺" in refused.text
    admin_stub.on("POST", "/explanations/v1/commitments/deadline/versions", ok([], 201))
    published = await site.post(
        "/console/commitments/deadline", data={"zh": "新的承诺", "en": "New", "csrf_token": csrf_of(page.text)}
    )
    assert published.status_code == 303
    assert sent_json(admin_stub, "POST", "/explanations/v1/commitments/deadline/versions")[-1] == {
        "zh": "新的承诺",
        "en": "New",
    }
