"""Users' lifecycle at the identity provider: invitation, password policy, reset links, disable, roles, logout."""

import uuid
from datetime import timedelta
from typing import Any

import orjson
import pytest
from records_testing import Running
from sqlalchemy import update

from bluemap_records.identity.models import PasswordToken, User
from bluemap_shared.db import utcnow

pytestmark = pytest.mark.integration

PASSWORD = "blue-river-lantern-42"
INVITED = "org.bluemap.records.user-invited.v1"
RESET = "org.bluemap.records.password-reset-requested.v1"
REVOKED = "org.bluemap.records.sessions-revoked.v1"


async def events(records: Running, tenant: str, event_type: str) -> list[dict[str, Any]]:
    return [orjson.loads(m.payload) for m in await records.outbox(tenant) if m.event_type == event_type]


async def invite(records: Running, tenant: str, **extra: Any) -> tuple[str, str]:
    """Invite a reviewer; (email, the link's token from UserInvited)."""
    email = f"u-{uuid.uuid4().hex[:8]}@example.org"
    answer = await records.client.post(
        "/v1/users/invitations", json={"email": email, "roles": ["reviewer"], **extra}, headers=records.admin(tenant)
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "invited"
    [event] = [e for e in await events(records, tenant, INVITED) if e["email"] == email]
    return email, event["password_token"]


async def log_in(records: Running, tenant: str, email: str, password: str = PASSWORD) -> dict[str, str]:
    answer = await records.client.post(
        "/v1/auth/token", data={"username": email, "password": password, "tenant": tenant}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def active_user(records: Running, tenant: str) -> tuple[str, str]:
    """An invited user who set PASSWORD; (email, user id)."""
    email, token = await invite(records, tenant)
    assert (
        await records.client.post("/v1/auth/password-link", json={"token": token, "password": PASSWORD})
    ).status_code == 204
    [user] = [
        u for u in (await records.client.get("/v1/users", headers=records.admin(tenant))).json() if u["email"] == email
    ]
    return email, user["id"]


async def test_an_invited_user_sets_a_password_once_and_the_policy_refuses_password123(
    records: Running, tenant: str
) -> None:
    email, token = await invite(records, tenant)
    # No password yet: nothing logs in, not even the hasher's stand-in for unknown users.
    for guess in ("", "not-a-real-password"):
        refused = await records.client.post(
            "/v1/auth/token", data={"username": email, "password": guess or "x", "tenant": tenant}
        )
        assert refused.status_code == 401
    weak = await records.client.post("/v1/auth/password-link", json={"token": token, "password": "password123"})
    assert weak.status_code == 422
    assert weak.headers["content-type"] == "application/problem+json"
    [problem] = weak.json()["errors"]
    assert problem["location"] == ["body", "password"]
    assert "too easy to guess" in problem["message"]
    assert "common password" in problem["message"]
    # The refusal spent nothing: the link still works, once.
    assert (
        await records.client.post("/v1/auth/password-link", json={"token": token, "password": PASSWORD})
    ).status_code == 204
    again = await records.client.post("/v1/auth/password-link", json={"token": token, "password": PASSWORD + "x"})
    assert (again.status_code, again.json()["reason"]) == (410, "used")
    me = await records.client.get("/v1/auth/me", headers=await log_in(records, tenant, email))
    assert me.status_code == 200
    assert me.json()["roles"] == ["reviewer"]
    # Only the token's hash is kept.
    async with records.service.runtime.sessionmaker() as session:
        stored = (await session.exec(PasswordToken.__table__.select())).all()  # type: ignore[attr-defined, call-overload]
    assert token not in {row.token_sha256 for row in stored}


async def test_a_reset_link_expires_and_works_once(records: Running, tenant: str) -> None:
    email, user_id = await active_user(records, tenant)
    signed_in = await log_in(records, tenant, email)
    asked = await records.client.post("/v1/auth/password-reset", json={"email": email, "tenant": tenant})
    assert asked.status_code == 202
    # An unknown address is answered alike, and nothing is mailed.
    unknown = await records.client.post(
        "/v1/auth/password-reset", json={"email": "nobody@example.org", "tenant": tenant}
    )
    assert unknown.status_code == 202
    [first] = await events(records, tenant, RESET)
    assert first["email"] == email
    async with records.service.runtime.sessionmaker() as session:
        await session.exec(
            update(PasswordToken)
            .where(PasswordToken.user_id == uuid.UUID(user_id))
            .values(expires_at=utcnow() - timedelta(seconds=1))  # type: ignore[arg-type]
        )
        await session.commit()
    expired = await records.client.post(
        "/v1/auth/password-link", json={"token": first["password_token"], "password": "new-" + PASSWORD}
    )
    assert (expired.status_code, expired.json()["reason"]) == (410, "expired")
    assert (
        await records.client.post("/v1/auth/password-reset", json={"email": email, "tenant": tenant})
    ).status_code == 202
    _, second = await events(records, tenant, RESET)
    used = await records.client.post(
        "/v1/auth/password-link", json={"token": second["password_token"], "password": "new-" + PASSWORD}
    )
    assert used.status_code == 204
    reused = await records.client.post(
        "/v1/auth/password-link", json={"token": second["password_token"], "password": "other-" + PASSWORD}
    )
    assert (reused.status_code, reused.json()["reason"]) == (410, "used")
    # The reset ended the sessions of the old password; the new one logs in.
    assert (await records.client.get("/v1/auth/me", headers=signed_in)).status_code == 401
    await log_in(records, tenant, email, "new-" + PASSWORD)
    [revoked] = await events(records, tenant, REVOKED)
    assert revoked["reason"] == "password-reset"
    assert revoked["user_id"] == user_id


async def test_disabling_refuses_the_issued_token_at_once_and_reenabling_needs_a_new_login(
    records: Running, tenant: str
) -> None:
    email, user_id = await active_user(records, tenant)
    token = await log_in(records, tenant, email)
    assert (await records.client.get("/v1/auth/me", headers=token)).status_code == 200
    disabled = await records.client.patch(f"/v1/users/{user_id}", json={"active": False}, headers=records.admin(tenant))
    assert disabled.status_code == 200
    assert disabled.json()["status"] == "disabled"
    refused = await records.client.get("/v1/auth/me", headers=token)
    assert refused.status_code == 401
    assert refused.json()["type"].endswith("/session-revoked")
    assert (
        await records.client.post("/v1/auth/token", data={"username": email, "password": PASSWORD, "tenant": tenant})
    ).status_code == 401
    enabled = await records.client.patch(f"/v1/users/{user_id}", json={"active": True}, headers=records.admin(tenant))
    assert enabled.json()["status"] == "active"
    assert (await records.client.get("/v1/auth/me", headers=token)).status_code == 401
    assert (await records.client.get("/v1/auth/me", headers=await log_in(records, tenant, email))).status_code == 200


async def test_a_role_change_ends_the_sessions_that_carry_the_old_role(records: Running, tenant: str) -> None:
    email, user_id = await active_user(records, tenant)
    token = await log_in(records, tenant, email)
    changed = await records.client.patch(
        f"/v1/users/{user_id}", json={"roles": ["admin"]}, headers=records.admin(tenant)
    )
    assert changed.status_code == 200
    assert changed.json()["roles"] == ["admin"]
    assert (await records.client.get("/v1/auth/me", headers=token)).status_code == 401
    me = await records.client.get("/v1/auth/me", headers=await log_in(records, tenant, email))
    assert me.json()["roles"] == ["admin"]
    # An admin cannot lock themselves out.
    admin = await log_in(records, tenant, email)
    self_disable = await records.client.patch(f"/v1/users/{user_id}", json={"active": False}, headers=admin)
    assert (self_disable.status_code, self_disable.json()["reason"]) == (409, "self")


async def test_logout_ends_only_that_session(records: Running, tenant: str) -> None:
    email, _ = await active_user(records, tenant)
    first, second = await log_in(records, tenant, email), await log_in(records, tenant, email)
    assert (await records.client.post("/v1/auth/logout", headers=first)).status_code == 204
    assert (await records.client.get("/v1/auth/me", headers=first)).status_code == 401
    assert (await records.client.get("/v1/auth/me", headers=second)).status_code == 200


async def test_a_password_change_needs_the_current_one_and_ends_the_other_sessions(
    records: Running, tenant: str
) -> None:
    email, _ = await active_user(records, tenant)
    here, elsewhere = await log_in(records, tenant, email), await log_in(records, tenant, email)
    wrong = await records.client.post(
        "/v1/auth/password",
        json={"current_password": "not-" + PASSWORD, "new_password": "fresh-" + PASSWORD},
        headers=here,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["location"] == ["body", "current_password"]
    weak = await records.client.post(
        "/v1/auth/password", json={"current_password": PASSWORD, "new_password": "password123"}, headers=here
    )
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["location"] == ["body", "new_password"]
    changed = await records.client.post(
        "/v1/auth/password", json={"current_password": PASSWORD, "new_password": "fresh-" + PASSWORD}, headers=here
    )
    assert changed.status_code == 204
    assert (await records.client.get("/v1/auth/me", headers=here)).status_code == 200
    assert (await records.client.get("/v1/auth/me", headers=elsewhere)).status_code == 401
    await log_in(records, tenant, email, "fresh-" + PASSWORD)


async def test_users_are_listed_and_changed_within_the_admins_tenant_only(records: Running, tenant: str) -> None:
    _, user_id = await active_user(records, tenant)
    other = f"t-{uuid.uuid4().hex[:12]}"
    assert (await records.client.get("/v1/users", headers=records.admin(other))).json() == []
    foreign = await records.client.patch(f"/v1/users/{user_id}", json={"active": False}, headers=records.admin(other))
    assert foreign.status_code == 404
    assert (await records.client.get("/v1/users", headers=records.reviewer(tenant))).status_code == 403
    async with records.service.runtime.sessionmaker() as session:
        user = await session.get(User, uuid.UUID(user_id))
    assert user is not None
    assert user.active
