"""Emails in their tenant's names and from its sender; the tenant's settings arrive as events, no restart."""

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest
from notifications_testing import ISSUER, Start

from bluemap_shared.events.catalog import (
    EnterpriseSnapshot,
    RecordPublished,
    TenantConfigured,
    TenantProfile,
    TenantSuspended,
)
from bluemap_shared.events.envelope import Envelope, IntegrationEvent, Message
from bluemap_shared.testing import Mailpit

pytestmark = pytest.mark.integration


def on(tenant: str, event: IntegrationEvent) -> Message:
    return Envelope(data=event, tenant_id=tenant, source="/bluemap/records", subject=event.subject()).to_message()


def configured(tenant: str, *, version: int = 1, **changes: Any) -> TenantConfigured:
    fields: dict[str, Any] = {
        "tenant_id": tenant,
        "name_zh": f"绿色江河{tenant[-4:]}",
        "name_en": f"Green River {tenant[-4:]}",
        "mail_sender_name": f"Green River {tenant[-4:]} 绿色江河",
        "mail_sender_address": f"noreply@{tenant}.example.org",
        "logo_url": "https://logo.example.org/gr.svg",
        "brand_colour": "#2e7d32",
        "version": version,
    }
    return TenantConfigured(tenant=TenantProfile.model_validate(fields | changes), configured_at=datetime.now(UTC))


def published(address: str) -> RecordPublished:
    return RecordPublished(
        record_id=uuid4(),
        enterprise=EnterpriseSnapshot(
            enterprise_id=uuid4(),
            uscc="91610000220522613X",
            name="陕西永安兴庆门业有限公司",
            registered_emails=[address],
        ),
        record_type="environmental_supervision",
        explainable=True,
        year=2020,
        source_title="关于对强化监督定点帮扶发现问题进行督办的函(西安)",
        issuing_authority="中华人民共和国生态环境部",
        issued_on=date(2020, 2, 20),
        published_at=datetime.now(UTC),
        explanation_due_on=date(2020, 3, 13),
    )


async def test_each_tenants_email_carries_its_names_and_sender(start: Start, mailpit: Mailpit) -> None:
    one, two = f"t-{uuid4().hex[:8]}", f"t-{uuid4().hex[:8]}"
    first, second = f"ehs-{uuid4().hex[:10]}@example.com", f"ehs-{uuid4().hex[:10]}@example.com"
    async with start() as svc:
        for tenant in (one, two):
            await svc.runtime.consumer.process(on(tenant, configured(tenant)))
        await svc.runtime.consumer.process(on(one, published(first)))
        await svc.runtime.consumer.process(on(two, published(second)))
        for tenant, address in ((one, first), (two, second)):
            [found] = await mailpit.wait_for(address)
            message = await mailpit.message(found["ID"])
            assert message["From"] == {
                "Name": f"Green River {tenant[-4:]} 绿色江河",
                "Address": f"noreply@{tenant}.example.org",
            }
            assert message["Subject"].startswith(f"【绿色江河{tenant[-4:]}】")
            assert f"/ Green River {tenant[-4:]}:" in message["Subject"]
            assert f"绿色江河{tenant[-4:]}数据库" in message["Text"]
            assert f"The Green River {tenant[-4:]} Database" in message["Text"]
            assert "蔚蓝地图" not in message["Text"]
            assert "Blue Map" not in message["Text"]
            assert '<img src="https://logo.example.org/gr.svg"' in message["HTML"]
            assert "border-bottom:3px solid #2e7d32" in message["HTML"]

        # A new sender takes effect for the next email, without a restart.
        later = f"ehs-{uuid4().hex[:10]}@example.com"
        renamed = configured(one, version=2, mail_sender_name="GR", mail_sender_address=f"news@{one}.example.org")
        await svc.runtime.consumer.process(on(one, renamed))
        await svc.runtime.consumer.process(on(one, published(later)))
        [found] = await mailpit.wait_for(later)
        assert (await mailpit.message(found["ID"]))["From"] == {"Name": "GR", "Address": f"news@{one}.example.org"}


async def test_a_suspended_tenants_tokens_get_503_from_this_service_too(start: Start) -> None:
    tenant = f"t-{uuid4().hex[:8]}"
    async with start() as svc:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.app), base_url="http://notifications")
        headers = ISSUER.headers(tenant, ["admin"])
        await svc.runtime.consumer.process(on(tenant, configured(tenant)))
        assert (await client.get("/v1/emails", headers=headers)).status_code == 200
        await svc.runtime.consumer.process(
            on(tenant, TenantSuspended(tenant_id=tenant, version=2, suspended_at=datetime.now(UTC)))
        )
        refused = await client.get("/v1/emails", headers=headers)
        assert refused.status_code == 503
        assert refused.json()["type"].endswith("/tenant-suspended")
        assert (await client.get("/v1/emails", headers=ISSUER.headers("ipe", ["admin"]))).status_code == 200
        await client.aclose()
