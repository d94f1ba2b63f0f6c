"""The embedded default: the same flow on SQLite, whose upsert dialect differs from PostgreSQL's."""

from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import httpx

from bluemap_explanations.bootstrap import bootstrap
from bluemap_explanations.settings import ExplanationsSettings
from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging.transport import InProcessTransport
from bluemap_shared.runtime import running
from bluemap_shared.testing import TokenIssuer as Issuer


async def test_save_and_list_on_sqlite(tmp_path: Path, issuer: Issuer) -> None:
    settings = ExplanationsSettings(data_dir=tmp_path, environment="test")
    service = bootstrap(settings, InProcessTransport(), token_verifier=issuer.verifier)
    enterprise = uuid4()
    event = RecordPublished(
        record_id=uuid7(),
        enterprise=EnterpriseSnapshot(enterprise_id=enterprise, uscc="91610000MA6TG0XX0X", name="企业"),
        record_type="rectification_order",
        explainable=True,
        year=2020,
        source_title="整改通知",
        issuing_authority="生态环境局",
        issued_on=date(2020, 3, 9),
        published_at=datetime(2020, 3, 10, tzinfo=UTC),
    )
    message = Envelope(data=event, tenant_id="ipe", source="/bluemap/records", subject=event.subject()).to_message()
    staff = issuer.staff("ipe", enterprise)
    url = f"/v1/records/{event.record_id}/explanation"
    body = {"violation": "v", "reasons": "r", "corrective_actions": "c"}
    async with (
        running(service.runtime),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://explanations") as client,
    ):
        await service.runtime.consumer.process(message)
        await service.runtime.consumer.process(message)
        assert (await client.put(url, json=body, headers=staff)).json()["version"] == 1
        assert (await client.put(url, json=body, headers=staff)).json()["version"] == 2
        listed = (await client.get("/v1/records", headers=staff)).json()
        assert [(r["record_id"], r["saved"]) for r in listed] == [(str(event.record_id), True)]
    assert (tmp_path / "explanations.db").exists()
