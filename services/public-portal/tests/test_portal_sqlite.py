"""The portal on SQLite, the embedded default: the same projections through SQLite's upsert."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import httpx

from bluemap_portal.bootstrap import bootstrap
from bluemap_portal.settings import PortalSettings
from bluemap_shared.events.catalog import EnterpriseRegistered, EnterpriseSnapshot, RecordPublished
from bluemap_shared.events.envelope import Envelope, IntegrationEvent
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.runtime import running


def envelope(event: IntegrationEvent, time: datetime) -> Envelope[IntegrationEvent]:
    return Envelope(data=event, tenant_id="ipe", source="/bluemap/records", subject=event.subject(), time=time)


async def test_projection_and_pages_on_sqlite(tmp_path: Path) -> None:
    enterprise_id = uuid4()
    now = datetime.now(UTC)
    company = EnterpriseSnapshot(
        enterprise_id=enterprise_id, uscc="91610000220522613X", name="陕西永安兴庆门业有限公司"
    )
    record = RecordPublished(
        record_id=uuid4(),
        enterprise=company.model_copy(update={"name": "陕西永安兴庆门业股份有限公司"}),
        record_type="rectification_order",
        explainable=True,
        year=2020,
        source_title="整改通知书",
        issuing_authority="西安市生态环境局",
        issued_on=date(2020, 3, 9),
        published_at=now,
        explanation_due_on=date(2020, 3, 23),
    )
    settings = PortalSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}", log_json=False)
    svc = bootstrap(settings, InProcessTransport())
    async with running(svc.runtime):
        for item in (envelope(record, now), envelope(EnterpriseRegistered(enterprise=company), now - timedelta(1))):
            await svc.runtime.consumer.process(item.to_message())
            await svc.runtime.consumer.process(item.to_message())
        transport = httpx.ASGITransport(app=svc.site)
        async with httpx.AsyncClient(transport=transport, base_url="http://portal") as site:
            page = await site.get(f"/enterprises/{enterprise_id}")
            found = await site.get("/", params={"q": "91610000220522613x"})
    assert page.status_code == 200
    assert "陕西永安兴庆门业股份有限公司" in page.text  # the older registration did not win
    assert "整改通知书" in page.text
    assert "整改通知" in page.text
    assert "2020年3月23日" in page.text
    assert f"/enterprises/{enterprise_id}" in found.text
