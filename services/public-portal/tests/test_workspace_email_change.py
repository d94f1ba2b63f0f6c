"""Changing the registered email as the browser sees it: the Account Management form and the link's page.

The records API is answered by a stub that keeps the change in memory, as in test_workspace_web.
"""

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from bluemap_portal.bootstrap import bootstrap
from bluemap_portal.settings import PortalSettings
from bluemap_portal.workspace.backend import http_client
from bluemap_shared.auth import ENTERPRISE
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.testing import TokenIssuer

API = "http://services.test"
ISSUER = TokenIssuer()
ENTERPRISE_ID = uuid4()
TOKEN = "T0ken-of-the-link_" + "x" * 30
PROBLEM = "application/problem+json"


def problem(status: int, type_: str, **extensions: Any) -> httpx.Response:
    body = {"type": f"https://bluemap.example.org/problems/{type_}", "title": type_, "status": status, "detail": "d"}
    return httpx.Response(status, json=body | extensions, headers={"content-type": PROBLEM})


@dataclass
class Records:
    """The records API: one enterprise, its pending change, and the confirmation of the link's token."""

    emails: list[str] = field(default_factory=lambda: ["ehs@ent.example.cn", "boss@ent.example.cn"])
    pending: dict[str, Any] | None = None
    used: bool = False
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/records")
        if path == "/v1/auth/token":
            return httpx.Response(200, json={"access_token": ISSUER.token("ipe", [ENTERPRISE], ENTERPRISE_ID)})
        if request.method == "GET" and path == f"/v1/enterprises/{ENTERPRISE_ID}":
            return httpx.Response(200, json=self.enterprise())
        if request.method == "GET" and path == f"/v1/enterprises/{ENTERPRISE_ID}/email-changes":
            return httpx.Response(200, json=[self.pending] if self.pending else [])
        if request.method == "POST" and path == f"/v1/enterprises/{ENTERPRISE_ID}/email-changes":
            body = json.loads(request.content)
            if "@" not in body["new_email"]:
                errors = [{"location": ["body", "new_email"], "message": "not an email", "type": "value_error"}]
                return problem(422, "invalid-input", errors=errors)
            if body["new_email"] in self.emails:
                return problem(409, "conflict", reason="already-registered")
            self.pending = {
                "id": str(uuid4()),
                "enterprise_id": str(ENTERPRISE_ID),
                "new_email": body["new_email"],
                "replaces_email": body.get("replaces"),
                "status": "pending",
                "requested_at": "2025-03-01T04:00:00Z",
                "expires_at": "2025-03-02T04:00:00Z",
            }
            return httpx.Response(202, json=self.pending)
        if request.method == "POST" and path == "/v1/enterprises/email-changes/confirm":
            if "authorization" in request.headers:
                return problem(400, "bad-request")  # the link is confirmed anonymously
            if json.loads(request.content)["token"] != TOKEN or self.pending is None:
                return problem(404, "not-found", reason="unknown")
            if self.used:
                return problem(410, "email-change-link-unusable", reason="used")
            self.used = True
            return httpx.Response(
                200,
                json={
                    "enterprise_id": str(ENTERPRISE_ID),
                    "enterprise_name": "陕西永安兴庆门业有限公司",
                    "new_email": self.pending["new_email"],
                    "replaced_email": self.pending["replaces_email"],
                },
            )
        return problem(404, "not-found")

    def enterprise(self) -> dict[str, Any]:
        return {
            "id": str(ENTERPRISE_ID),
            "tenant_id": "ipe",
            "uscc": "91610100992777567D",
            "name": "陕西永安兴庆门业有限公司",
            "name_en": None,
            "region_code": "610100",
            "industry": None,
            "registered_emails": self.emails,
            "status": "active",
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
        }


@pytest.fixture
def records() -> Records:
    return Records()


@pytest.fixture
async def site(tmp_path: Path, records: Records) -> AsyncIterator[httpx.AsyncClient]:
    settings = PortalSettings(
        data_dir=tmp_path,
        records_api_url=f"{API}/records",
        explanations_api_url=f"{API}/explanations",
        documents_api_url=f"{API}/documents",
        notifications_api_url=f"{API}/notifications",
        log_json=False,
    )
    portal = bootstrap(settings, InProcessTransport(), token_verifier=ISSUER.verifier)
    await portal.runtime.migrate()  # the site reads its copy of the tenant registry

    async def stubbed() -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(records.handle)) as client:
            yield client

    portal.site.dependency_overrides[http_client] = stubbed
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=portal.site), base_url="http://portal.test") as c:
        yield c
    await portal.runtime.engine.dispose()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


async def log_in(site: httpx.AsyncClient) -> None:
    page = await site.get("/login")
    data = {"username": "ehs@ent.example.cn", "password": "pw", "csrf_token": csrf_of(page.text)}
    assert (await site.post("/login", data=data)).status_code == 303


async def test_the_account_page_asks_for_a_new_address_and_says_where_the_link_went(
    site: httpx.AsyncClient, records: Records
) -> None:
    await log_in(site)
    page = await site.get("/workspace/account?lang=en")
    assert page.status_code == 200
    assert '<label for="new_email">New email address</label>' in page.text
    assert '<label for="replaces">Address to replace</label>' in page.text
    assert 'action="/workspace/account/email?lang=en"' in page.text

    forged = await site.post("/workspace/account/email?lang=en", data={"new_email": "new@ent.example.cn"})
    assert forged.status_code == 403
    assert records.pending is None

    data = {"new_email": "new@ent.example.cn", "replaces": "boss@ent.example.cn", "csrf_token": csrf_of(page.text)}
    sent = await site.post("/workspace/account/email?lang=en", data=data)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/workspace/account?done=email-change-sent&lang=en#registered-emails"
    asked = next(r for r in records.requests if r.method == "POST" and r.url.path.endswith("/email-changes"))
    assert json.loads(asked.content) == {"new_email": "new@ent.example.cn", "replaces": "boss@ent.example.cn"}
    assert asked.headers["authorization"].startswith("Bearer ")

    notice = await site.get(sent.headers["location"])
    assert "We sent a link to new@ent.example.cn." in notice.text
    assert 'role="status"' in notice.text
    zh = await site.get("/workspace/account?lang=zh")
    assert "new@ent.example.cn" in zh.text
    assert "变更注册邮箱" in zh.text


async def test_refusals_appear_next_to_the_field(site: httpx.AsyncClient, records: Records) -> None:
    await log_in(site)
    page = await site.get("/workspace/account?lang=en")
    bad = await site.post(
        "/workspace/account/email?lang=en", data={"new_email": "nope", "csrf_token": csrf_of(page.text)}
    )
    assert bad.status_code == 422
    assert 'aria-describedby="email-change-hint new_email-error" aria-invalid="true"' in bad.text
    assert "Please enter a valid email address" in bad.text
    assert 'value="nope"' in bad.text
    taken = await site.post(
        "/workspace/account/email?lang=en",
        data={"new_email": "ehs@ent.example.cn", "csrf_token": csrf_of(page.text)},
    )
    assert taken.status_code == 409
    assert "already registered" in taken.text
    empty = await site.post(
        "/workspace/account/email?lang=en", data={"new_email": " ", "csrf_token": csrf_of(page.text)}
    )
    assert empty.status_code == 422
    assert records.pending is None


async def test_the_link_confirms_signed_out_with_one_button_and_once(site: httpx.AsyncClient, records: Records) -> None:
    records.pending = {"new_email": "new@ent.example.cn", "replaces_email": "boss@ent.example.cn"}
    page = await site.get(f"/workspace/email-change/confirm?token={TOKEN}&lang=en")
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert f'name="token" value="{TOKEN}"' in page.text
    # Opening the link changes nothing (mail scanners fetch links): only the button does.
    assert not any(r.url.path.endswith("/confirm") for r in records.requests)

    forged = await site.post("/workspace/email-change/confirm?lang=en", data={"token": TOKEN})
    assert forged.status_code == 403
    assert not records.used

    data = {"token": TOKEN, "csrf_token": csrf_of(page.text)}
    done = await site.post("/workspace/email-change/confirm?lang=en", data=data)
    assert done.status_code == 200
    assert "new@ent.example.cn is now a registered email address of 陕西永安兴庆门业有限公司" in done.text
    assert "It replaces boss@ent.example.cn" in done.text
    assert records.used

    again = await site.post("/workspace/email-change/confirm?lang=zh", data=data)
    assert again.status_code == 410
    assert "已使用过" in again.text
    wrong = await site.post("/workspace/email-change/confirm?lang=en", data={**data, "token": "x" * 40})
    assert wrong.status_code == 404
    assert "This confirmation link is not valid" in wrong.text
    assert "Internal" not in wrong.text
