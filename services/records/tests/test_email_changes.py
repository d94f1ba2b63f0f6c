"""Changing a registered email: enterprise staff ask, the new mailbox confirms by the mailed link (PostgreSQL)."""

from datetime import timedelta
from typing import Any

import orjson
import pytest
from records_testing import Running, new_uscc
from sqlalchemy import update

from bluemap_records.enterprises.models import EnterpriseEmailChange
from bluemap_records.enterprises.service import replaced_emails
from bluemap_shared.db import utcnow

pytestmark = pytest.mark.integration

CONFIRM = "/v1/enterprises/email-changes/confirm"


async def register(records: Running, tenant: str, emails: list[str]) -> dict[str, Any]:
    body = {
        "uscc": new_uscc(),
        "name": "陕西永安兴庆门业有限公司",
        "name_en": "Yong'an Door",
        "registered_emails": emails,
    }
    response = await records.client.post("/v1/enterprises", json=body, headers=records.admin(tenant))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def requested_events(records: Running, tenant: str) -> list[dict[str, Any]]:
    """The data of every EnterpriseEmailChangeRequested the tenant staged, oldest first."""
    found = []
    for message in await records.outbox(tenant):
        if message.event_type == "org.bluemap.records.enterprise-email-change-requested.v1":
            found.append(orjson.loads(message.payload))
    return found


async def ask(records: Running, tenant: str, enterprise: dict[str, Any], **body: Any) -> Any:
    url = f"/v1/enterprises/{enterprise['id']}/email-changes"
    return await records.client.post(url, json=body, headers=records.staff(tenant, enterprise["id"]))


async def test_the_new_address_confirms_and_replaces_the_chosen_one(records: Running, tenant: str) -> None:
    enterprise = await register(records, tenant, ["ehs@ent.example.cn", "boss@ent.example.cn"])
    asked = await ask(records, tenant, enterprise, new_email="New.EHS@Ent.Example.cn", replaces="boss@ent.example.cn")
    assert asked.status_code == 202, asked.text
    change = asked.json()
    assert (change["new_email"], change["replaces_email"], change["status"]) == (
        "New.EHS@ent.example.cn",
        "boss@ent.example.cn",
        "pending",
    )
    assert "token" not in str(change).lower()

    # Nothing changes until the link is followed; the portal can tell that a link is on its way.
    staff = records.staff(tenant, enterprise["id"])
    unchanged = await records.client.get(f"/v1/enterprises/{enterprise['id']}", headers=staff)
    assert unchanged.json()["registered_emails"] == ["ehs@ent.example.cn", "boss@ent.example.cn"]
    pending = await records.client.get(f"/v1/enterprises/{enterprise['id']}/email-changes", headers=staff)
    assert [c["id"] for c in pending.json()] == [change["id"]]

    [event] = await requested_events(records, tenant)
    assert event["new_email"] == "New.EHS@ent.example.cn"
    assert event["replaces_email"] == "boss@ent.example.cn"
    assert event["enterprise_name"] == "陕西永安兴庆门业有限公司"
    assert event["change_id"] == change["id"]
    token = event["confirmation_token"]
    assert len(token) >= 40
    # Only the token's hash is kept.
    async with records.service.runtime.sessionmaker() as session:
        row = await session.get(EnterpriseEmailChange, change["id"])
        assert row is not None
        assert token not in row.token_sha256

    # Confirmation needs no sign-in: the token proves the new mailbox is read by whoever confirms.
    confirmed = await records.client.post(CONFIRM, json={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["new_email"] == "New.EHS@ent.example.cn"
    assert confirmed.json()["replaced_email"] == "boss@ent.example.cn"
    after = await records.client.get(f"/v1/enterprises/{enterprise['id']}", headers=staff)
    assert after.json()["registered_emails"] == ["ehs@ent.example.cn", "New.EHS@ent.example.cn"]
    assert (await records.event_types(tenant))[-1] == "enterprise-updated"
    updated = orjson.loads((await records.outbox(tenant))[-1].payload)
    assert updated["enterprise"]["registered_emails"] == ["ehs@ent.example.cn", "New.EHS@ent.example.cn"]
    gone = await records.client.get(f"/v1/enterprises/{enterprise['id']}/email-changes", headers=staff)
    assert gone.json() == []

    # Single use.
    again = await records.client.post(CONFIRM, json={"token": token})
    assert again.status_code == 410
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["reason"] == "used"
    assert (await records.event_types(tenant)).count("enterprise-updated") == 1


async def test_without_replaces_the_primary_address_is_replaced(records: Running, tenant: str) -> None:
    enterprise = await register(records, tenant, ["ehs@ent.example.cn", "boss@ent.example.cn"])
    assert (await ask(records, tenant, enterprise, new_email="new@ent.example.cn")).status_code == 202
    [event] = await requested_events(records, tenant)
    assert event["replaces_email"] == "ehs@ent.example.cn"
    assert (await records.client.post(CONFIRM, json={"token": event["confirmation_token"]})).status_code == 200
    staff = records.staff(tenant, enterprise["id"])
    after = await records.client.get(f"/v1/enterprises/{enterprise['id']}", headers=staff)
    assert after.json()["registered_emails"] == ["new@ent.example.cn", "boss@ent.example.cn"]


async def test_a_new_request_supersedes_the_pending_one(records: Running, tenant: str) -> None:
    enterprise = await register(records, tenant, ["ehs@ent.example.cn"])
    assert (await ask(records, tenant, enterprise, new_email="first@ent.example.cn")).status_code == 202
    assert (await ask(records, tenant, enterprise, new_email="second@ent.example.cn")).status_code == 202
    first, second = await requested_events(records, tenant)
    old = await records.client.post(CONFIRM, json={"token": first["confirmation_token"]})
    assert (old.status_code, old.json()["reason"]) == (410, "superseded")
    assert (await records.client.post(CONFIRM, json={"token": second["confirmation_token"]})).status_code == 200
    staff = records.staff(tenant, enterprise["id"])
    after = await records.client.get(f"/v1/enterprises/{enterprise['id']}", headers=staff)
    assert after.json()["registered_emails"] == ["second@ent.example.cn"]


async def test_an_expired_link_changes_nothing(records: Running, tenant: str) -> None:
    enterprise = await register(records, tenant, ["ehs@ent.example.cn"])
    change = (await ask(records, tenant, enterprise, new_email="late@ent.example.cn")).json()
    [event] = await requested_events(records, tenant)
    async with records.service.runtime.sessionmaker() as session:
        await session.exec(
            update(EnterpriseEmailChange)
            .where(EnterpriseEmailChange.id == change["id"])  # type: ignore[arg-type]
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    expired = await records.client.post(CONFIRM, json={"token": event["confirmation_token"]})
    assert (expired.status_code, expired.json()["reason"]) == (410, "expired")
    staff = records.staff(tenant, enterprise["id"])
    after = await records.client.get(f"/v1/enterprises/{enterprise['id']}", headers=staff)
    assert after.json()["registered_emails"] == ["ehs@ent.example.cn"]
    assert (await records.client.get(f"/v1/enterprises/{enterprise['id']}/email-changes", headers=staff)).json() == []


async def test_unknown_and_malformed_tokens_are_refused_clearly(records: Running) -> None:
    unknown = await records.client.post(CONFIRM, json={"token": "A" * 43})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert unknown.json()["reason"] == "unknown"
    for body in ({"token": "short"}, {"token": "has spaces in it, and more than twenty"}, {}, {"token": 5}):
        assert (await records.client.post(CONFIRM, json=body)).status_code == 422


async def test_only_the_enterprises_own_staff_or_its_tenant_admin_may_ask(records: Running, tenant: str) -> None:
    mine = await register(records, tenant, ["ehs@ent.example.cn"])
    theirs = await register(records, tenant, ["other@ent.example.cn"])
    body = {"new_email": "x@ent.example.cn"}
    other_enterprise = await records.client.post(
        f"/v1/enterprises/{theirs['id']}/email-changes", json=body, headers=records.staff(tenant, mine["id"])
    )
    assert other_enterprise.status_code == 404
    other_tenant = await records.client.post(
        f"/v1/enterprises/{mine['id']}/email-changes", json=body, headers=records.staff(f"{tenant}-b", mine["id"])
    )
    assert other_tenant.status_code == 404
    looking = await records.client.get(
        f"/v1/enterprises/{theirs['id']}/email-changes", headers=records.staff(tenant, mine["id"])
    )
    assert looking.status_code == 404
    reviewer = await records.client.post(
        f"/v1/enterprises/{mine['id']}/email-changes", json=body, headers=records.reviewer(tenant)
    )
    assert reviewer.status_code == 403
    other_admin = await records.client.post(
        f"/v1/enterprises/{mine['id']}/email-changes", json=body, headers=records.admin(f"{tenant}-b")
    )
    assert other_admin.status_code == 404
    anonymous = await records.client.post(f"/v1/enterprises/{mine['id']}/email-changes", json=body)
    assert anonymous.status_code == 401
    assert await requested_events(records, tenant) == []
    assert await requested_events(records, f"{tenant}-b") == []
    # The tenant admin asks on the enterprise's behalf (the console); the link still goes to the new address.
    admin = await records.client.post(
        f"/v1/enterprises/{mine['id']}/email-changes", json=body, headers=records.admin(tenant)
    )
    assert admin.status_code == 202, admin.text
    assert admin.json()["new_email"] == "x@ent.example.cn"
    assert len(await requested_events(records, tenant)) == 1
    registered = (await records.client.get(f"/v1/enterprises/{mine['id']}", headers=records.admin(tenant))).json()
    assert registered["registered_emails"] == ["ehs@ent.example.cn"]  # nothing changes before the link is followed


async def test_bad_addresses_are_refused(records: Running, tenant: str) -> None:
    enterprise = await register(records, tenant, ["ehs@ent.example.cn"])
    for body in (
        {"new_email": "not an address"},
        {"new_email": ""},
        {},
        {"new_email": "x@ent.example.cn", "replaces": "never@ent.example.cn"},
        {"new_email": "x@ent.example.cn", "extra": 1},
    ):
        response = await ask(records, tenant, enterprise, **body)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
    already = await ask(records, tenant, enterprise, new_email="EHS@ent.example.cn")
    assert already.status_code == 409
    assert already.json()["reason"] == "already-registered"
    assert await requested_events(records, tenant) == []


async def test_requests_are_limited_per_hour(records: Running, tenant: str) -> None:
    enterprise = await register(records, tenant, ["ehs@ent.example.cn"])
    for n in range(5):
        assert (await ask(records, tenant, enterprise, new_email=f"n{n}@ent.example.cn")).status_code == 202
    refused = await ask(records, tenant, enterprise, new_email="n5@ent.example.cn")
    assert refused.status_code == 429
    assert len(await requested_events(records, tenant)) == 5


def test_the_new_address_takes_the_replaced_ones_place() -> None:
    assert replaced_emails(["a@x.cn", "b@x.cn"], "b@x.cn", "c@x.cn") == ["a@x.cn", "c@x.cn"]
    assert replaced_emails(["a@x.cn", "b@x.cn"], "B@X.CN", "c@x.cn") == ["a@x.cn", "c@x.cn"]
    # The replaced address went away meanwhile (an operator's change): the new one becomes primary.
    assert replaced_emails(["a@x.cn"], "b@x.cn", "c@x.cn") == ["c@x.cn", "a@x.cn"]
    assert replaced_emails([], None, "c@x.cn") == ["c@x.cn"]
    # Added meanwhile by an operator: no duplicate.
    assert replaced_emails(["a@x.cn", "c@x.cn"], "a@x.cn", "c@x.cn") == ["c@x.cn"]
