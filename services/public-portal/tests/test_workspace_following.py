"""Following as the browser sees it: the Follow button of an enterprise page and the Following page.

The notifications API is answered by a stub, as in test_workspace_web; the portal itself runs on SQLite.
"""

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from portal_testing import envelope, feed, registered, snapshot

from bluemap_portal.bootstrap import PortalService, bootstrap
from bluemap_portal.settings import PortalSettings
from bluemap_portal.workspace.backend import http_client
from bluemap_portal.workspace.session import SESSION_COOKIE
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.runtime import running
from bluemap_shared.testing import TokenIssuer

API = "http://services.test"
ISSUER = TokenIssuer()
ENTERPRISE_ID = uuid4()


@dataclass
class Notifications:
    """The notifications API's follows, kept in memory, and every request the portal made."""

    follows: list[dict[str, str]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/notifications")
        if request.method == "GET" and path == "/v1/follows":
            return httpx.Response(200, json=self.follows)
        if request.method == "POST" and path == "/v1/follows":
            enterprise_id = json.loads(request.content)["enterprise_id"]
            follow = {
                "id": str(uuid4()),
                "enterprise_id": enterprise_id,
                "email": "buyer@brand.example",
                "created_at": "2026-11-28T10:00:00Z",
                "enterprise_name": "陕西永安兴庆门业有限公司",
                "enterprise_name_en": None,
            }
            self.follows.append(follow)
            return httpx.Response(201, json=follow)
        if request.method == "DELETE" and path.startswith("/v1/follows/"):
            gone = path.rsplit("/", 1)[1]
            self.follows = [f for f in self.follows if f["enterprise_id"] != gone]
            return httpx.Response(204)
        return httpx.Response(404, json={"type": "not-found", "status": 404})


@pytest.fixture
async def portal(tmp_path: Path) -> AsyncIterator[PortalService]:
    settings = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}",
        notifications_api_url=f"{API}/notifications",
        log_json=False,
    )
    svc = bootstrap(settings, InProcessTransport(), token_verifier=ISSUER.verifier)
    async with running(svc.runtime):
        await feed(svc, envelope(registered(snapshot(ENTERPRISE_ID))))
        yield svc


def stubbed(portal: PortalService, notifications: Notifications) -> httpx.AsyncClient:
    async def client() -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(notifications.handle)) as stub:
            yield stub

    portal.site.dependency_overrides[http_client] = client
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=portal.site), base_url="http://portal.test")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


async def test_a_signed_in_user_follows_from_the_enterprise_page_and_unfollows(portal: PortalService) -> None:
    notifications = Notifications()
    async with stubbed(portal, notifications) as site:
        anonymous = await site.get(f"/enterprises/{ENTERPRISE_ID}")
        assert anonymous.status_code == 200
        assert "/workspace/following" not in anonymous.text

        # A brand's buyer: signed in, but no enterprise account.
        token = ISSUER.token("ipe", ["brand"], subject="buyer-1", email="buyer@brand.example")
        site.cookies.set(SESSION_COOKIE, token)
        page = await site.get(f"/enterprises/{ENTERPRISE_ID}?lang=en")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert 'action="/workspace/following"' in page.text

        forged = await site.post("/workspace/following", data={"enterprise_id": str(ENTERPRISE_ID)})
        assert forged.status_code == 403
        assert notifications.follows == []

        followed = await site.post(
            "/workspace/following", data={"enterprise_id": str(ENTERPRISE_ID), "csrf_token": csrf_of(page.text)}
        )
        assert followed.status_code == 303
        assert followed.headers["location"] == "/workspace/following?done=followed&lang=en"
        call = next(r for r in notifications.requests if r.method == "POST")
        assert call.headers["authorization"] == f"Bearer {token}"
        assert json.loads(call.content) == {"enterprise_id": str(ENTERPRISE_ID)}

        listing = await site.get(followed.headers["location"])
        assert listing.status_code == 200
        assert "陕西永安兴庆门业有限公司" in listing.text
        assert f'href="/enterprises/{ENTERPRISE_ID}' in listing.text
        assert "buyer@brand.example" in listing.text
        found = re.search(rf'action="(/workspace/following/{ENTERPRISE_ID}/unfollow[^"]*)"', listing.text)
        assert found, "no Unfollow form"
        action = found[1].replace("&amp;", "&")

        gone = await site.post(action, data={"csrf_token": csrf_of(listing.text)})
        assert gone.status_code == 303
        assert any(r.method == "DELETE" for r in notifications.requests)
        empty = await site.get(gone.headers["location"])
        assert "陕西永安兴庆门业有限公司" not in empty.text


async def test_the_following_page_needs_a_sign_in(portal: PortalService) -> None:
    async with stubbed(portal, Notifications()) as site:
        page = await site.get("/workspace/following")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2Fworkspace%2Ffollowing"
