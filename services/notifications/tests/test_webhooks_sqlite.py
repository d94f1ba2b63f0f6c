"""Partner webhooks on SQLite, the embedded default: the same lease, retry and log without SKIP LOCKED."""

from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import httpx
from notifications_testing import ISSUER
from standardwebhooks.webhooks import Webhook
from webhook_receiver import Answer, running_receiver

from bluemap_notifications.bootstrap import bootstrap
from bluemap_notifications.settings import NotificationsSettings
from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.runtime import running
from bluemap_shared.testing import eventually


async def test_delivery_retried_and_signed_on_sqlite(tmp_path: Path) -> None:
    event = RecordPublished(
        record_id=uuid4(),
        enterprise=EnterpriseSnapshot(
            enterprise_id=uuid4(), uscc="91610000220522613X", name="陕西永安兴庆门业有限公司"
        ),
        record_type="accident",
        explainable=True,
        year=2021,
        source_title="事故调查报告",
        issuing_authority="应急管理局",
        issued_on=date(2021, 5, 6),
        published_at=datetime.now(UTC),
    )
    envelope = Envelope(data=event, tenant_id="ipe", source="/bluemap/records", subject=event.subject())
    settings = NotificationsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}",
        webhook_allow_loopback_http=True,
        webhook_retry_delays_seconds=[0.1, 0.1],
        webhook_retry_jitter=0.0,
        webhook_poll_interval=0.05,
        log_json=False,
    )
    admin = ISSUER.headers("ipe", ["admin"])
    with running_receiver() as receiver:
        url = receiver.endpoint("/hook", Answer(502), Answer(200))
        svc = bootstrap(settings, InProcessTransport(), token_verifier=ISSUER.verifier)
        async with (
            running(svc.runtime),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.app), base_url="http://n") as client,
        ):
            partner = (
                await client.post(
                    "/v1/webhooks/partners", json={"name": "Bank", "email": "desk@example.com"}, headers=admin
                )
            ).json()
            created = await client.post(
                f"/v1/webhooks/partners/{partner['id']}/subscriptions", json={"url": url}, headers=admin
            )
            secret = created.json()["secret"]
            await svc.runtime.consumer.process(envelope.to_message())
            await svc.runtime.consumer.process(envelope.to_message())  # redelivered: still one delivery

            async def delivered() -> list[dict[str, object]] | None:
                answer = await client.get(
                    "/v1/partner/deliveries", headers={"Authorization": f"Bearer {partner['api_token']}"}
                )
                rows = answer.json()
                return rows if rows and rows[0]["status"] == "delivered" else None

            [row] = await eventually(delivered, timeout=10)
    assert [a["status_code"] for a in row["attempt_log"]] == [502, 200]  # type: ignore[union-attr]
    last = receiver.at("/hook")[-1]
    assert Webhook(secret).verify(last.body, last.headers)["subject"] == str(event.record_id)
