"""The tenant registry: the platform operator creates, edits, suspends and resumes tenants (API and command line)."""

import json
import sys
import uuid
from typing import Any

import orjson
import pytest
from records_testing import Running

from bluemap_records.__main__ import main as records_main
from bluemap_records.settings import RecordsSettings
from bluemap_records.tenants.cli import run_tenants
from bluemap_shared.auth import ADMIN, PLATFORM_OPERATOR

pytestmark = pytest.mark.integration

PASSWORD = "a-good-long-password"


def new_tenant(**changes: Any) -> dict[str, Any]:
    tenant_id = f"t-{uuid.uuid4().hex[:10]}"
    fields: dict[str, Any] = {
        "id": tenant_id,
        "name_zh": "绿色江河",
        "name_en": "Green River",
        "hostnames": [f"{tenant_id}.Example.org"],
        "default_language": "en",
        "mail_sender_name": "Green River 绿色江河",
        "mail_sender_address": f"noreply@{tenant_id}.example.org",
        "staff_email": f"staff@{tenant_id}.example.org",
        "brand_colour": "#2E7D32",
        "first_admin": {"email": f"admin@{tenant_id}.example.org", "password": PASSWORD, "display_name": "GR Admin"},
    }
    return fields | changes


def shown(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The tenant the command printed (log lines share stdout)."""
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")][-1]


def operator(records: Running) -> dict[str, str]:
    return records.token("platform", [PLATFORM_OPERATOR])


async def log_in(records: Running, tenant: str, email: str) -> Any:
    return await records.client.post("/v1/auth/token", data={"username": email, "password": PASSWORD, "tenant": tenant})


async def test_the_platform_operator_creates_a_tenant_whose_first_admin_logs_in(records: Running) -> None:
    data = new_tenant()
    created = await records.client.post("/v1/tenants", json=data, headers=operator(records))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["hostnames"] == [data["hostnames"][0].lower()]
    assert (body["status"], body["version"], body["brand_colour"]) == ("active", 1, "#2e7d32")

    [event] = [m for m in await records.outbox(data["id"]) if "tenant" in m.event_type]
    assert event.event_type == "org.bluemap.records.tenant-configured.v1"
    assert event.key == data["id"]
    payload = orjson.loads(event.payload)["tenant"]
    assert payload["mail_sender_address"] == data["mail_sender_address"]
    assert payload["name_en"] == "Green River"

    token = await log_in(records, data["id"], data["first_admin"]["email"])
    assert token.status_code == 200, token.text
    me = await records.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert (me.json()["tenant_id"], me.json()["roles"]) == (data["id"], [ADMIN])
    listed = await records.client.get("/v1/tenants", headers=operator(records))
    assert data["id"] in {tenant["id"] for tenant in listed.json()}


async def test_only_the_platform_operator_creates_tenants_and_hosts_are_never_shared(records: Running) -> None:
    data = new_tenant()
    refused = await records.client.post("/v1/tenants", json=data, headers=records.admin("ipe"))
    assert refused.status_code == 403
    assert (await records.client.post("/v1/tenants", json=data, headers=operator(records))).status_code == 201
    again = await records.client.post("/v1/tenants", json=data, headers=operator(records))
    assert again.status_code == 409
    same_host = new_tenant(hostnames=data["hostnames"])
    clash = await records.client.post("/v1/tenants", json=same_host, headers=operator(records))
    assert clash.status_code == 409
    assert clash.headers["content-type"] == "application/problem+json"
    bad = await records.client.post("/v1/tenants", json=new_tenant(id="Not A Slug"), headers=operator(records))
    assert bad.status_code == 422


async def test_a_tenant_admin_edits_its_own_settings_but_not_its_hosts_nor_another_tenant(records: Running) -> None:
    mine, theirs = new_tenant(), new_tenant()
    for data in (mine, theirs):
        assert (await records.client.post("/v1/tenants", json=data, headers=operator(records))).status_code == 201
    admin = records.admin(mine["id"])
    edited = await records.client.patch(
        f"/v1/tenants/{mine['id']}", json={"name_en": "Green Rivers", "brand_colour": "#004d40"}, headers=admin
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["name_en"], edited.json()["version"]) == ("Green Rivers", 2)
    hosts = await records.client.patch(
        f"/v1/tenants/{mine['id']}", json={"hostnames": ["x.example.org"]}, headers=admin
    )
    assert hosts.status_code == 422
    other = await records.client.patch(f"/v1/tenants/{theirs['id']}", json={"name_en": "Mine now"}, headers=admin)
    assert other.status_code == 403
    assert (await records.client.get(f"/v1/tenants/{theirs['id']}", headers=admin)).status_code == 403
    moved = await records.client.patch(
        f"/v1/tenants/{mine['id']}", json={"hostnames": ["gr.example.org"]}, headers=operator(records)
    )
    assert moved.json()["hostnames"] == ["gr.example.org"]
    types = [m.event_type.split(".")[3] for m in await records.outbox(mine["id"]) if "tenant" in m.event_type]
    assert types == ["tenant-configured"] * 3


async def test_a_suspended_tenant_answers_503_to_logins_and_tokens_until_resumed(records: Running) -> None:
    data = new_tenant()
    assert (await records.client.post("/v1/tenants", json=data, headers=operator(records))).status_code == 201
    suspended = await records.client.post(
        f"/v1/tenants/{data['id']}/suspend", json={"reason": "unpaid"}, headers=operator(records)
    )
    assert (suspended.json()["status"], suspended.json()["suspended_reason"]) == ("suspended", "unpaid")

    login = await log_in(records, data["id"], data["first_admin"]["email"])
    assert login.status_code == 503
    assert login.headers["content-type"] == "application/problem+json"
    assert login.json()["type"].endswith("/tenant-suspended")
    api = await records.client.get("/v1/enterprises", headers=records.admin(data["id"]))
    assert api.status_code == 503
    assert api.json()["type"].endswith("/tenant-suspended")
    # Another tenant goes on as before.
    assert (await records.client.get("/v1/enterprises", headers=records.admin("ipe"))).status_code == 200

    # The platform operator still signs in there, and resumes it.
    made = await records.client.post(
        "/v1/users",
        json={"email": f"op@{data['id']}.example.org", "password": PASSWORD, "roles": [PLATFORM_OPERATOR]},
        headers=records.token(data["id"], [ADMIN, PLATFORM_OPERATOR]),
    )
    assert made.status_code == 201, made.text
    assert (await log_in(records, data["id"], f"op@{data['id']}.example.org")).status_code == 200

    resumed = await records.client.post(f"/v1/tenants/{data['id']}/resume", headers=operator(records))
    assert (resumed.json()["status"], resumed.json()["version"]) == ("active", 3)
    assert (await log_in(records, data["id"], data["first_admin"]["email"])).status_code == 200
    types = [m.event_type.split(".")[3] for m in await records.outbox(data["id"]) if "tenant" in m.event_type]
    assert types == ["tenant-configured", "tenant-suspended", "tenant-configured"]


async def test_logging_in_without_a_tenant_is_refused_not_sent_to_a_default(records: Running) -> None:
    response = await records.client.post("/v1/auth/token", data={"username": "a@example.org", "password": PASSWORD})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_only_a_platform_operator_makes_another_one(records: Running, tenant: str) -> None:
    user = {"email": f"op-{uuid.uuid4().hex[:6]}@example.org", "password": PASSWORD, "roles": [PLATFORM_OPERATOR]}
    refused = await records.client.post("/v1/users", json=user, headers=records.admin(tenant))
    assert refused.status_code == 403


async def test_the_command_line_creates_edits_suspends_resumes_and_lists(
    records: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant_id = f"t-{uuid.uuid4().hex[:10]}"
    create = [
        "create", tenant_id, "--name-zh", "绿色江河", "--name-en", "Green River",
        "--hostname", f"{tenant_id}.example.org", "--mail-sender-name", "Green River",
        "--mail-sender-address", f"noreply@{tenant_id}.example.org", "--admin-email", f"admin@{tenant_id}.example.org",
        "--admin-password", PASSWORD,
    ]  # fmt: skip
    assert await run_tenants(create, records.service) == 0
    assert shown(capsys)["id"] == tenant_id
    assert await run_tenants(create, records.service) == 2
    assert "already exists" in capsys.readouterr().err
    assert await run_tenants(["edit", tenant_id, "--staff-email", "chat@example.org"], records.service) == 0
    assert shown(capsys)["staff_email"] == "chat@example.org"
    assert await run_tenants(["suspend", tenant_id, "--reason", "audit"], records.service) == 0
    assert shown(capsys)["status"] == "suspended"
    assert await run_tenants(["resume", tenant_id], records.service) == 0
    assert await run_tenants(["list"], records.service) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert {"id": tenant_id, "status": "active", "version": 4}.items() <= next(
        t for t in listed if t["id"] == tenant_id
    ).items()
    assert await run_tenants(["suspend", "no-such-tenant"], records.service) == 2
    assert "No tenant" in capsys.readouterr().err
    types = [m.event_type.split(".")[3] for m in await records.outbox(tenant_id) if "tenant" in m.event_type]
    assert types == ["tenant-configured", "tenant-configured", "tenant-suspended", "tenant-configured"]
    token = await log_in(records, tenant_id, f"admin@{tenant_id}.example.org")
    assert token.status_code == 200


async def test_a_tenant_whose_users_predate_the_registry_is_registered_without_a_new_admin(
    records: Running, tenant: str, capsys: pytest.CaptureFixture[str]
) -> None:
    email = f"old-admin@{tenant}.example.org"
    made = await records.client.post(
        "/v1/users", json={"email": email, "password": PASSWORD, "roles": [ADMIN]}, headers=records.admin(tenant)
    )
    assert made.status_code == 201
    adopt = ["create", tenant, "--name-zh", "旧", "--name-en", "Old", "--mail-sender-name", "Old"]
    assert await run_tenants([*adopt, "--mail-sender-address", "noreply@old.example.org"], records.service) == 0
    assert shown(capsys)["id"] == tenant
    assert (await log_in(records, tenant, email)).status_code == 200
    assert await run_tenants(["suspend", tenant], records.service) == 0
    assert (await log_in(records, tenant, email)).status_code == 503


def test_create_user_refuses_a_tenant_the_registry_does_not_hold(
    sqlite_settings: RecordsSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BLUEMAP_RECORDS_DATA_DIR", str(sqlite_settings.data_dir))
    argv = ["create-user", "--tenant", "acme", "--email", "a@acme.example", "--password", PASSWORD, "--role", "admin"]
    with pytest.raises(SystemExit) as exited:
        records_main(argv)
    assert exited.value.code == 2
    assert "No tenant acme" in capsys.readouterr().err
    assert sys.modules["bluemap_records.__main__"] is not None
