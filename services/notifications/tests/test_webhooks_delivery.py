"""Partner webhooks on real PostgreSQL, Mailpit and a real HTTP receiver on 127.0.0.1."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import httpx
import orjson
import pytest
from notifications_testing import ISSUER, Start
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from webhook_receiver import Answer, Receiver, running_receiver

from bluemap_notifications.bootstrap import NotificationsService
from bluemap_shared.events.catalog import (
    EnterpriseSnapshot,
    ExplanationPublished,
    RecordPublished,
    RecordStatusChanged,
)
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.testing import Mailpit, eventually

pytestmark = pytest.mark.integration

QUICK = {
    "webhook_allow_loopback_http": True,
    "webhook_retry_delays_seconds": [0.1, 0.1, 0.1, 0.1],
    "webhook_retry_jitter": 0.0,
    "webhook_timeout": 0.5,
    "webhook_poll_interval": 0.05,
}


def admin() -> dict[str, str]:
    """A fresh admin token: one made at import would expire before a long run reaches these tests."""
    return ISSUER.headers("ipe", ["admin"], subject="admin-1")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as state:
        yield state


def api(svc: NotificationsService) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.app), base_url="http://notifications")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def new_partner(client: httpx.AsyncClient, email: str = "") -> dict[str, Any]:
    email = email or f"partner-{uuid4().hex[:10]}@example.com"
    answer = await client.post(
        "/v1/webhooks/partners", json={"name": "Brand Supply Chain", "email": email}, headers=admin()
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def subscribe(client: httpx.AsyncClient, partner: dict[str, Any], url: str, **filters: Any) -> dict[str, Any]:
    answer = await client.post(
        f"/v1/webhooks/partners/{partner['id']}/subscriptions", json={"url": url, **filters}, headers=admin()
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def published(
    *, record_type: str = "environmental_supervision", region: str = "440305", tenant: str = "ipe"
) -> Envelope[RecordPublished]:
    event = RecordPublished(
        record_id=uuid4(),
        enterprise=EnterpriseSnapshot(
            enterprise_id=uuid4(),
            uscc="91610000220522613X",
            name="陕西永安兴庆门业有限公司",
            region_code=region,
            registered_emails=[],
        ),
        record_type=record_type,
        explainable=True,
        year=2020,
        source_title="关于对强化监督定点帮扶发现问题进行督办的函(西安)",
        issuing_authority="中华人民共和国生态环境部",
        issued_on=date(2020, 2, 20),
        published_at=datetime.now(UTC),
    )
    return Envelope(data=event, tenant_id=tenant, source="/bluemap/records", subject=event.subject())


async def deliver(svc: NotificationsService, envelope: Envelope[Any]) -> None:
    await svc.runtime.consumer.process(envelope.to_message())


async def log_of(client: httpx.AsyncClient, token: str, **params: Any) -> list[dict[str, Any]]:
    answer = await client.get("/v1/partner/deliveries", params=params, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


async def test_public_change_arrives_signed_and_logged(start: Start, receiver: Receiver) -> None:
    url = receiver.endpoint("/hook")
    async with start(**QUICK) as svc, api(svc) as client:
        partner = await new_partner(client)
        subscription = await subscribe(client, partner, url, record_types=["environmental_supervision"])
        await deliver(svc, published(record_type="monitoring"))  # another type: not for this partner
        envelope = published()
        await deliver(svc, envelope)
        await eventually(lambda: _count(receiver, "/hook", 1))
        request = receiver.at("/hook")[0]
        cloudevent = Webhook(subscription["secret"]).verify(request.body, request.headers)
        assert request.headers["content-type"] == "application/cloudevents+json"
        assert cloudevent["type"] == "org.bluemap.public.record-published.v1"
        assert cloudevent["id"] == str(envelope.id)
        assert cloudevent["data"]["record_id"] == str(envelope.data.record_id)
        with pytest.raises(WebhookVerificationError):
            Webhook(subscription["secret"]).verify(request.body + b" ", request.headers)

        token = partner["api_token"]

        async def delivered() -> list[dict[str, Any]] | None:
            rows = await log_of(client, token)
            return rows if rows and rows[0]["status"] == "delivered" else None

        rows = await eventually(delivered)
        assert len(rows) == 1
        assert rows[0]["id"] == request.headers["webhook-id"]
        [attempt] = rows[0]["attempt_log"]
        assert attempt["status_code"] == 200
        assert attempt["latency_ms"] > 0
        assert attempt["response_excerpt"] == "answer 200"

        other = await new_partner(client)
        assert await log_of(client, other["api_token"]) == []
        answer = await client.get(f"/v1/partner/deliveries/{rows[0]['id']}", headers=bearer(other["api_token"]))
        assert answer.status_code == 404
        answer = await client.get("/v1/partner/deliveries", headers=admin())  # a staff JWT is no partner token
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        mine = await client.get("/v1/partner/subscriptions", headers=bearer(token))
        assert [s["id"] for s in mine.json()] == [subscription["id"]]
        assert "secret" not in mine.json()[0]


async def test_endpoint_that_fails_times_out_and_recovers(start: Start, receiver: Receiver) -> None:
    url = receiver.endpoint("/flaky", Answer(500), Answer(200, delay=1.5), Answer(200))
    async with start(**QUICK) as svc, api(svc) as client:
        partner = await new_partner(client)
        await subscribe(client, partner, url)
        await deliver(svc, published())

        async def delivered() -> dict[str, Any] | None:
            rows = await log_of(client, partner["api_token"])
            return rows[0] if rows and rows[0]["status"] == "delivered" else None

        row = await eventually(delivered)
        codes = [a["status_code"] for a in row["attempt_log"]]
        assert codes == [500, None, 200]
        assert "timed out" in row["attempt_log"][1]["error"]
        assert row["attempt_log"][0]["response_excerpt"] == "answer 500"
        ids = {r.headers["webhook-id"] for r in receiver.at("/flaky")}
        assert ids == {row["id"]}  # every attempt carries the same webhook-id

        replayed = await client.post(f"/v1/partner/deliveries/{row['id']}/replay", headers=bearer(partner["api_token"]))
        assert replayed.status_code == 202
        await eventually(lambda: _count(receiver, "/flaky", 4))
        again = receiver.at("/flaky")[-1]
        assert again.headers["webhook-id"] == row["id"]
        assert orjson.loads(again.body)["id"] == orjson.loads(receiver.at("/flaky")[0].body)["id"]


async def test_rotated_secret_signs_beside_the_old_one(start: Start, receiver: Receiver) -> None:
    url = receiver.endpoint("/rotating")
    async with start(**QUICK) as svc, api(svc) as client:
        partner = await new_partner(client)
        subscription = await subscribe(client, partner, url)
        old = subscription["secret"]
        answer = await client.post(
            f"/v1/partner/subscriptions/{subscription['id']}/rotate-secret", headers=bearer(partner["api_token"])
        )
        assert answer.status_code == 200, answer.text
        new = answer.json()["secret"]
        assert new != old
        assert answer.json()["previous_secret_until"] is not None
        await deliver(svc, published())
        await eventually(lambda: _count(receiver, "/rotating", 1))
        request = receiver.at("/rotating")[0]
        assert len(request.headers["webhook-signature"].split(" ")) == 2
        Webhook(old).verify(request.body, request.headers)
        Webhook(new).verify(request.body, request.headers)


async def test_persistent_failure_disables_the_endpoint_and_emails_the_partner(
    start: Start, receiver: Receiver, mailpit: Mailpit
) -> None:
    url = receiver.endpoint("/down", Answer(503))
    email = f"partner-{uuid4().hex[:10]}@example.com"
    async with start(**QUICK | {"webhook_retry_delays_seconds": [0.05, 0.05]}) as svc, api(svc) as client:
        partner = await new_partner(client, email)
        subscription = await subscribe(client, partner, url)
        await deliver(svc, published())
        [message] = await mailpit.wait_for(email)
        assert "webhook" in message["Subject"].lower()
        assert len(receiver.at("/down")) == 3  # the first attempt and the two retries of the schedule
        token = partner["api_token"]
        [mine] = (await client.get("/v1/partner/subscriptions", headers=bearer(token))).json()
        assert mine["status"] == "disabled"
        assert "HTTP 503" in mine["disabled_reason"]
        [row] = await log_of(client, token)
        assert row["status"] == "failed"
        assert row["attempts"] == 3

        # Disabled: nothing new is queued for it, and a replay is refused until it is enabled.
        await deliver(svc, published())
        assert len(await log_of(client, token)) == 1
        refused = await client.post(f"/v1/partner/deliveries/{row['id']}/replay", headers=bearer(token))
        assert refused.status_code == 409
        receiver.endpoint("/down", Answer(200))
        enabled = await client.post(f"/v1/partner/subscriptions/{subscription['id']}/enable", headers=bearer(token))
        assert enabled.json()["status"] == "active"
        replayed = await client.post(f"/v1/partner/deliveries/{row['id']}/replay", headers=bearer(token))
        assert replayed.status_code == 202

        async def delivered() -> bool:
            return (await log_of(client, token))[0]["status"] == "delivered"

        await eventually(delivered)


async def test_slow_partner_does_not_delay_a_fast_one(start: Start, receiver: Receiver) -> None:
    slow_url = receiver.endpoint("/slow", Answer(200, delay=3.0))
    fast_url = receiver.endpoint("/fast")
    settings = QUICK | {"webhook_timeout": 5.0, "webhook_concurrency": 4, "webhook_endpoint_concurrency": 2}
    async with start(**settings) as svc, api(svc) as client:
        slow, fast = await new_partner(client), await new_partner(client)
        await subscribe(client, slow, slow_url)
        await subscribe(client, fast, fast_url)
        # One consumer batch, one transaction: the 40 deliveries are due together.
        await svc.runtime.consumer.process_batch([published().to_message() for _ in range(20)])
        # Four requests at once in all: had the slow endpoint taken them all, the fast one would
        # get its 20 only in rounds of 3 s. It holds two, and the fast one is served beside it.
        await eventually(lambda: _count(receiver, "/fast", 20), timeout=10)
        # Two at a time for 3 s each: even 9 s after the start it would have received only 8.
        assert len(receiver.at("/slow")) <= 8
        pending = await log_of(client, slow["api_token"], status="pending")
        assert len(pending) >= 12


async def test_resolved_record_reaches_a_region_subscription(start: Start, receiver: Receiver) -> None:
    """A status change carries no region: the one learned from the record's publication matches it."""
    url = receiver.endpoint("/guangdong")
    async with start(**QUICK) as svc, api(svc) as client:
        partner = await new_partner(client)
        await subscribe(client, partner, url, region_codes=["440000"])
        envelope = published(region="440305")
        await deliver(svc, envelope)
        await deliver(svc, published(region="310101"))  # Shanghai: not subscribed
        resolved = RecordStatusChanged(
            record_id=envelope.data.record_id,
            enterprise_id=envelope.data.enterprise.enterprise_id,
            previous_status="explained",
            status="resolved",
            reason="整改已核实",
            changed_at=datetime.now(UTC),
        )
        await deliver(
            svc, Envelope(data=resolved, tenant_id="ipe", source="/bluemap/records", subject=resolved.subject())
        )
        await eventually(lambda: _count(receiver, "/guangdong", 2))
        types = sorted(orjson.loads(r.body)["type"] for r in receiver.at("/guangdong"))
        assert types == ["org.bluemap.public.record-published.v1", "org.bluemap.public.record-resolved.v1"]


async def test_explanation_matches_its_records_type(start: Start, receiver: Receiver) -> None:
    """An explanation's event names no record type: the published record's, as notifications tracks it, is used."""
    url = receiver.endpoint("/monitoring")
    async with start(**QUICK) as svc, api(svc) as client:
        partner = await new_partner(client)
        await subscribe(client, partner, url, record_types=["monitoring"])
        record = published(record_type="monitoring")
        other = published(record_type="accident")
        await deliver(svc, record)
        await deliver(svc, other)
        for envelope in (record, other):
            explanation = ExplanationPublished(
                explanation_id=uuid4(),
                submission_id=uuid4(),
                record_id=envelope.data.record_id,
                enterprise_id=envelope.data.enterprise.enterprise_id,
                violation="超标排放",
                reasons="设备故障",
                corrective_actions="已更换设备",
                reviewed_by="reviewer-7",
                comment="内部意见",
                published_at=datetime.now(UTC),
            )
            await deliver(
                svc,
                Envelope(
                    data=explanation, tenant_id="ipe", source="/bluemap/explanations", subject=explanation.subject()
                ),
            )
        await eventually(lambda: _count(receiver, "/monitoring", 2))
        bodies = {orjson.loads(r.body)["type"]: orjson.loads(r.body) for r in receiver.at("/monitoring")}
        assert sorted(bodies) == [
            "org.bluemap.public.explanation-published.v1",
            "org.bluemap.public.record-published.v1",
        ]
        explained = bodies["org.bluemap.public.explanation-published.v1"]["data"]
        assert explained["record_id"] == str(record.data.record_id)
        assert "reviewed_by" not in explained
        assert "comment" not in explained


@pytest.mark.parametrize(
    "url", ["http://partner.example.com/hook", "https://10.0.0.8/hook", "https://169.254.169.254/", "https://[::1]/"]
)
async def test_internal_endpoints_are_refused(start: Start, url: str) -> None:
    async with start(**QUICK) as svc, api(svc) as client:
        partner = await new_partner(client)
        answer = await client.post(
            f"/v1/webhooks/partners/{partner['id']}/subscriptions", json={"url": url}, headers=admin()
        )
        assert answer.status_code == 422
        assert answer.json()["type"].endswith("webhook-target-refused")


async def test_loopback_http_needs_the_setting(start: Start) -> None:
    async with start() as svc, api(svc) as client:
        partner = await new_partner(client)
        answer = await client.post(
            f"/v1/webhooks/partners/{partner['id']}/subscriptions",
            json={"url": "http://127.0.0.1:9/hook"},
            headers=admin(),
        )
        assert answer.status_code == 422


async def test_only_admins_manage_partners(start: Start) -> None:
    async with start() as svc, api(svc) as client:
        reviewer = ISSUER.headers("ipe", ["reviewer"])
        answer = await client.post(
            "/v1/webhooks/partners", json={"name": "x", "email": "x@example.com"}, headers=reviewer
        )
        assert answer.status_code == 403
        partner = await new_partner(client)
        other_tenant = ISSUER.headers("other", ["admin"])
        answer = await client.post(
            f"/v1/webhooks/partners/{partner['id']}/subscriptions",
            json={"url": "https://partner.example.com/hook"},
            headers=other_tenant,
        )
        assert answer.status_code == 404


async def _count(receiver: Receiver, path: str, wanted: int) -> bool:
    return len(receiver.at(path)) >= wanted
