"""Tenants across the five services on Kafka: a change from the registry reaches every copy, no restart."""

import subprocess
import sys
import uuid

import httpx
import pytest

from bluemap_shared.testing import eventually
from tests.e2e.platform import Platform

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

PASSWORD = "green-admin-password"


def tenants(platform: Platform, *args: str) -> None:
    """`python -m bluemap_records tenants ...` as the platform operator runs it."""
    subprocess.run(
        [sys.executable, "-m", "bluemap_records", "tenants", *args],
        env=platform.env("records"),
        capture_output=True,
        text=True,
        check=True,
    )


async def test_a_tenant_created_suspended_and_resumed_on_the_command_line_reaches_every_service(
    platform: Platform,
) -> None:
    platform.create_tenant("ipe")  # the portal's own host (127.0.0.1) belongs to it
    tenant = f"green-{uuid.uuid4().hex[:6]}"
    host = f"{tenant}.example.org"
    admin = f"admin@{host}"
    tenants(
        platform, "create", tenant, "--name-zh", "绿色江河", "--name-en", "Green River", "--hostname", host,
        "--mail-sender-name", "Green River", "--mail-sender-address", f"noreply@{host}",
        "--admin-email", admin, "--admin-password", PASSWORD,
    )  # fmt: skip
    portal = platform.url("public-portal")
    async with httpx.AsyncClient(base_url=portal, headers={"Host": host}) as site, httpx.AsyncClient() as client:

        async def home() -> httpx.Response:
            return await site.get("/?lang=zh")

        async def named() -> bool:
            response = await home()
            return response.status_code == 200 and "绿色江河" in response.text

        await eventually(named, timeout=60)
        unknown = await site.get("/", headers={"Host": "nobody.example.org"})
        assert unknown.status_code == 404
        login = await client.post(
            f"{platform.api('records')}/v1/auth/token", data={"username": admin, "password": PASSWORD, "tenant": tenant}
        )
        assert login.status_code == 200, login.text
        token = {"Authorization": f"Bearer {login.json()['access_token']}"}
        queue = f"{platform.api('explanations')}/v1/review/submissions"
        assert (await client.get(queue, headers=token)).status_code == 200

        tenants(platform, "suspend", tenant, "--reason", "e2e")

        async def refused() -> bool:
            answers = [await home(), await client.get(queue, headers=token)]
            return all(a.status_code == 503 and a.json()["type"].endswith("/tenant-suspended") for a in answers)

        await eventually(refused, timeout=60)
        tenants(platform, "resume", tenant)

        async def back() -> bool:
            return (await home()).status_code == 200 and (await client.get(queue, headers=token)).status_code == 200

        await eventually(back, timeout=60)
