"""Revocation across the five services: an invited user's token and portal cookie, refused after logout or disable.

Steps shared by the distributed platform (tests/e2e/test_revocation.py) and the embedded default
(tests/e2e/test_revocation_embedded.py).
"""

import re
import uuid

import httpx

from bluemap_shared.testing import eventually
from tests.e2e.workflow_steps import Deployment, User

PASSWORD = "quiet-harbour-lantern-58"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r"/set-password\?token=([A-Za-z0-9_\-]+)")
# A request each service answers a signed-in reviewer, and refuses (401) without a valid session.
CHECKS = {
    "records": "/v1/auth/me",
    "explanations": "/v1/review/submissions",
    "documents": "/v1/documents",
    "notifications": "/v1/conversations",
}


async def invite_reviewer(admin: User) -> str:
    """An admin invites a reviewer; the invitee sets a password through the mailed link on the portal."""
    deployment = admin.deployment
    email = f"reviewer-{uuid.uuid4().hex[:8]}@ipe.example.org"
    async with admin.client("records") as client:
        invited = await client.post("/v1/users/invitations", json={"email": email, "roles": ["reviewer"]})
    assert invited.status_code == 201, invited.text

    async def mailed_link() -> str | None:
        for email_ in await deployment.inbox.emails(email, "set your password"):
            found = _LINK.search(email_.text)
            if found:
                return found[1]
        return None

    token = await eventually(mailed_link, timeout=60)
    async with httpx.AsyncClient(base_url=deployment.site, timeout=30) as site:
        # ?lang=en sticks (a cookie): the refusal below is read in English.
        form = await site.get("/set-password", params={"token": token, "lang": "en"})
        assert form.status_code == 200
        csrf = _CSRF.search(form.text)
        assert csrf
        weak = await site.post(
            "/set-password",
            data={"token": token, "password": "password123", "repeat": "password123", "csrf_token": csrf[1]},
        )
        assert weak.status_code == 400
        assert "too easy to guess" in weak.text
        saved = await site.post(
            "/set-password", data={"token": token, "password": PASSWORD, "repeat": PASSWORD, "csrf_token": csrf[1]}
        )
        assert saved.status_code == 303, saved.text
        assert "password_set=1" in saved.headers["location"]
    return email


async def portal_login(deployment: Deployment, email: str) -> httpx.AsyncClient:
    """A browser-like client of the site, signed in through the login form; its session cookie is the token."""
    site = httpx.AsyncClient(base_url=deployment.site, timeout=30)
    form = await site.get("/login")
    csrf = _CSRF.search(form.text)
    assert csrf
    answer = await site.post("/login", data={"username": email, "password": PASSWORD, "csrf_token": csrf[1]})
    assert answer.status_code == 303, answer.text
    return site


def session_token(site: httpx.AsyncClient) -> str:
    return str(site.cookies["bluemap_session"])


async def answers(deployment: Deployment, token: str) -> dict[str, int]:
    """What each of the five services answers the token: the four APIs with it as bearer, the portal as cookie."""
    statuses = {}
    async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        for service, path in CHECKS.items():
            statuses[service] = (await client.get(deployment.api(service) + path)).status_code
    async with httpx.AsyncClient(base_url=deployment.site, timeout=30, cookies={"bluemap_session": token}) as site:
        statuses["public-portal"] = (await site.get("/workspace/password")).status_code
    return statuses


SIGNED_IN = dict.fromkeys([*CHECKS, "public-portal"], 200)
# The APIs answer 401; the portal sends the browser to its login page.
REFUSED = dict.fromkeys(CHECKS, 401) | {"public-portal": 303}


async def refused_everywhere(deployment: Deployment, token: str) -> None:
    """Wait (the services learn it from SessionsRevoked) until all five refuse the token."""

    async def all_refuse() -> bool:
        return await answers(deployment, token) == REFUSED

    await eventually(all_refuse, timeout=30)


async def logout_and_disable(admin: User) -> None:
    """The scenario: invited, signed in everywhere, logged out (cookie refused), signed in again, disabled."""
    deployment = admin.deployment
    email = await invite_reviewer(admin)

    site = await portal_login(deployment, email)
    token = session_token(site)
    assert await answers(deployment, token) == SIGNED_IN
    page = await site.get("/")
    assert "/logout" in page.text  # the public site offers the signed-in user Log out
    csrf = _CSRF.search(page.text)
    assert csrf
    logged_out = await site.post("/logout", data={"csrf_token": csrf[1]})
    assert logged_out.status_code == 303
    await site.aclose()
    # The cookie's value, kept by whoever copied it, is refused by the portal at once and by every API.
    async with httpx.AsyncClient(base_url=deployment.site, timeout=30, cookies={"bluemap_session": token}) as stale:
        assert (await stale.get("/workspace/password")).status_code == 303
    await refused_everywhere(deployment, token)

    site = await portal_login(deployment, email)
    token = session_token(site)
    await site.aclose()
    assert await answers(deployment, token) == SIGNED_IN
    async with admin.client("records") as client:
        [user] = [u for u in (await client.get("/v1/users", params={"limit": 500})).json() if u["email"] == email]
        disabled = await client.patch(f"/v1/users/{user['id']}", json={"active": False})
    assert disabled.status_code == 200, disabled.text
    await refused_everywhere(deployment, token)
    async with httpx.AsyncClient(timeout=30) as client:
        again = await client.post(
            f"{deployment.api('records')}/v1/auth/token",
            data={"username": email, "password": PASSWORD, "tenant": "ipe"},
        )
    assert again.status_code == 401
