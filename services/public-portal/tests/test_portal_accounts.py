"""Accounts on the portal: Log in on every public page, the signed-in visitor's links, logout that ends the session
server-side, and the password pages (set from an invitation, forgot, reset, change), with the services stubbed."""

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from bluemap_portal.bootstrap import PortalService, bootstrap
from bluemap_portal.settings import PortalSettings
from bluemap_portal.workspace.backend import http_client
from bluemap_portal.workspace.session import SESSION_COOKIE
from bluemap_shared.auth import ADMIN, ENTERPRISE, REVIEWER
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.testing import TokenIssuer

API = "http://services.test"
ISSUER = TokenIssuer()
ENTERPRISE_ID = uuid.uuid4()
PUBLIC_PAGES = ["/", "/categories", "/documents", "/verify"]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def problem(status: int, type_: str, **extensions: Any) -> httpx.Response:
    body = {"type": f"https://bluemap.example.org/problems/{type_}", "title": type_, "status": status, "detail": "d"}
    return httpx.Response(status, json=body | extensions, headers={"content-type": "application/problem+json"})


@dataclass
class Records:
    """The records API as the portal sees it: logins of one role, each with a session id; what was asked of it."""

    roles: list[str] = field(default_factory=lambda: [ENTERPRISE])
    requests: list[httpx.Request] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/records")
        if path == "/v1/auth/token":
            self.sessions.append(uuid.uuid4().hex)
            enterprise = ENTERPRISE_ID if ENTERPRISE in self.roles else None
            token = ISSUER.token("ipe", self.roles, enterprise, subject=str(uuid.uuid4()), session_id=self.sessions[-1])
            return httpx.Response(200, json={"access_token": token, "expires_in": 600})
        if path == "/v1/auth/logout":
            return httpx.Response(204)
        if path == "/v1/auth/password-link":
            body = orjson.loads(request.content)
            if body["token"] == "spent-token-0123456789":
                return problem(410, "password-link-unusable", reason="used")
            if body["password"] == "password123":
                errors = [{"location": ["body", "password"], "message": "too easy to guess", "type": "value_error"}]
                return problem(422, "invalid-input", errors=errors)
            return httpx.Response(204)
        if path == "/v1/auth/password-reset":
            return httpx.Response(202)
        if path == "/v1/auth/password":
            body = orjson.loads(request.content)
            if body["current_password"] != "current-password-1":
                errors = [{"location": ["body", "current_password"], "message": "wrong password", "type": "wrong"}]
                return problem(422, "invalid-input", errors=errors)
            return httpx.Response(204)
        return problem(404, "not-found")

    def asked(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == f"/records{path}"]


@pytest.fixture
def records() -> Records:
    return Records()


@pytest.fixture
async def portal(tmp_path: Path) -> AsyncIterator[PortalService]:
    settings = PortalSettings(
        data_dir=tmp_path,
        records_api_url=f"{API}/records",
        explanations_api_url=f"{API}/explanations",
        documents_api_url=f"{API}/documents",
        notifications_api_url=f"{API}/notifications",
        log_json=False,
    )
    service = bootstrap(settings, InProcessTransport(), token_verifier=ISSUER.verifier)
    await service.runtime.migrate()
    yield service
    await service.runtime.engine.dispose()


@pytest.fixture
async def site(portal: PortalService, records: Records) -> AsyncIterator[httpx.AsyncClient]:
    async def stubbed() -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(records.handle)) as client:
            yield client

    portal.site.dependency_overrides[http_client] = stubbed
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=portal.site), base_url="http://portal.test") as c:
        yield c


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


async def log_in(site: httpx.AsyncClient) -> None:
    page = await site.get("/login")
    data = {"username": "someone@example.cn", "password": "any-password", "csrf_token": csrf_of(page.text)}
    assert (await site.post("/login", data=data)).status_code == 303


@pytest.mark.parametrize(
    ("roles", "home", "other"),
    [
        ([ENTERPRISE], "/workspace", "/console"),
        ([REVIEWER], "/console", "/workspace"),
        ([ADMIN], "/console", "/workspace"),
    ],
)
async def test_every_public_page_offers_log_in_and_a_signed_in_visitor_their_home_and_log_out(
    site: httpx.AsyncClient, records: Records, roles: list[str], home: str, other: str
) -> None:
    for path in PUBLIC_PAGES:
        page = await site.get(path)
        assert page.status_code == 200, path
        assert 'class="login-link" href="/login"' in page.text, path
        assert 'action="/logout"' not in page.text, path
    records.roles = roles
    await log_in(site)
    for path in PUBLIC_PAGES:
        page = await site.get(path)
        assert page.status_code == 200, path
        assert 'class="login-link"' not in page.text, path
        assert f'href="{home}"' in page.text, path
        assert f'href="{other}"' not in page.text, path
        assert 'action="/logout"' in page.text, path
        assert 'href="/workspace/password"' in page.text, path
        assert page.headers["cache-control"] == "no-store", path
    # Signed in or not, the cached anonymous page never keeps a visitor's links.
    site.cookies.delete(SESSION_COOKIE)
    anonymous = await site.get("/")
    assert 'class="login-link"' in anonymous.text
    assert 'action="/logout"' not in anonymous.text


async def test_logout_ends_the_session_at_records_and_the_cookie_is_refused_at_once(
    site: httpx.AsyncClient, records: Records
) -> None:
    await log_in(site)
    token = site.cookies[SESSION_COOKIE]
    assert (await site.get("/workspace/password")).status_code == 200
    page = await site.get("/")
    out = await site.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303
    [asked] = records.asked("/v1/auth/logout")
    assert asked.headers["authorization"] == f"Bearer {token}"
    # A copy of the cookie made before the logout opens nothing: the portal's own list refuses it.
    async with httpx.AsyncClient(
        transport=site._transport, base_url="http://portal.test", cookies={SESSION_COOKIE: token}
    ) as stale:
        refused = await stale.get("/workspace/password")
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/login")
        public = await stale.get("/")
        assert 'class="login-link"' in public.text


async def test_the_invitation_page_sets_a_password_and_puts_refusals_next_to_their_field(
    site: httpx.AsyncClient, records: Records
) -> None:
    form = await site.get("/set-password", params={"token": "fresh-token-0123456789", "lang": "en"})
    assert form.status_code == 200
    assert form.headers["referrer-policy"] == "same-origin"
    assert 'value="fresh-token-0123456789"' in form.text
    csrf = csrf_of(form.text)
    fields = {"token": "fresh-token-0123456789", "csrf_token": csrf}
    short = await site.post("/set-password", data=fields | {"password": "short", "repeat": "short"})
    assert short.status_code == 400
    assert "A password needs at least 10 characters." in short.text
    assert not records.asked("/v1/auth/password-link")
    different = await site.post("/set-password", data=fields | {"password": "long-enough-one", "repeat": "other-one"})
    assert "The two passwords are not the same." in different.text
    weak = await site.post("/set-password", data=fields | {"password": "password123", "repeat": "password123"})
    assert weak.status_code == 400
    assert "too easy to guess" in weak.text
    assert 'id="password-error"' in weak.text
    assert 'aria-invalid="true"' in weak.text
    saved = await site.post(
        "/set-password", data=fields | {"password": "river-lantern-58", "repeat": "river-lantern-58"}
    )
    assert saved.status_code == 303
    assert saved.headers["location"].startswith("/login?")
    assert "password_set=1" in saved.headers["location"]
    assert "Your password has been saved." in (await site.get(saved.headers["location"])).text
    spent = await site.post(
        "/reset-password",
        data={
            "token": "spent-token-0123456789",
            "csrf_token": csrf,
            "password": "river-lantern-58",
            "repeat": "river-lantern-58",
        },
    )
    assert spent.status_code == 400
    assert "This link has been used already" in spent.text
    assert 'href="/forgot-password' in spent.text


async def test_forgot_password_says_the_same_for_any_address_in_both_languages(
    site: httpx.AsyncClient, records: Records
) -> None:
    login = await site.get("/login")
    assert 'href="/forgot-password"' in login.text
    form = await site.get("/forgot-password")
    assert "忘记密码" in form.text
    sent = await site.post("/forgot-password", data={"email": "someone@example.cn", "csrf_token": csrf_of(form.text)})
    assert sent.status_code == 200
    assert "如果该邮箱对应一个账户" in sent.text
    [asked] = records.asked("/v1/auth/password-reset")
    assert orjson.loads(asked.content) == {"email": "someone@example.cn", "tenant": "ipe"}
    english = await site.get("/forgot-password?lang=en")
    assert "Forgot your password?" in english.text


async def test_the_signed_in_user_changes_the_password_with_the_current_one(
    site: httpx.AsyncClient, records: Records
) -> None:
    assert (await site.get("/workspace/password")).status_code == 303  # signed out: to the login page
    await log_in(site)
    form = await site.get("/workspace/password?lang=en")
    csrf = csrf_of(form.text)
    wrong = await site.post(
        "/workspace/password",
        data={"current": "not-it", "password": "new-password-42x", "repeat": "new-password-42x", "csrf_token": csrf},
    )
    assert wrong.status_code == 400
    assert "The current password is wrong." in wrong.text
    assert 'id="current-error"' in wrong.text
    done = await site.post(
        "/workspace/password",
        data={
            "current": "current-password-1",
            "password": "new-password-42x",
            "repeat": "new-password-42x",
            "csrf_token": csrf,
        },
    )
    assert done.status_code == 303
    assert "Your password has been changed." in (await site.get(done.headers["location"])).text
