"""The portal on SQLite, the embedded default: the same projections through SQLite's upsert."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import httpx

from bluemap_portal.bootstrap import bootstrap
from bluemap_portal.settings import PortalSettings
from bluemap_shared.events.catalog import (
    DocumentPublished,
    EnterpriseRegistered,
    EnterpriseSnapshot,
    ExplanationPublished,
    PdfRendered,
    RecordPublished,
    RecordStatusChanged,
)
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


async def test_disclosure_pages_on_sqlite(tmp_path: Path) -> None:
    enterprise_id, submission_id = uuid4(), uuid4()
    now = datetime.now(UTC)
    company = EnterpriseSnapshot(
        enterprise_id=enterprise_id, uscc="91610000220522613X", name="陕西永安兴庆门业有限公司"
    )
    record = RecordPublished(
        record_id=uuid4(),
        enterprise=company,
        record_type="accident",
        explainable=True,
        year=2024,
        source_title="事故调查报告",
        issuing_authority="应急管理局",
        issued_on=date(2024, 5, 6),
        published_at=now,
        explanation_due_on=date(2024, 5, 20),
    )
    code = "ab" * 32
    events: list[IntegrationEvent] = [
        record,
        ExplanationPublished(
            explanation_id=uuid4(),
            submission_id=submission_id,
            record_id=record.record_id,
            enterprise_id=enterprise_id,
            violation="违规情况说明",
            reasons="原因",
            corrective_actions="整改措施",
            reviewed_by="r",
            published_at=now,
        ),
        PdfRendered(
            document_id=uuid4(),
            submission_id=submission_id,
            enterprise_id=enterprise_id,
            language="zh",
            document_number="BM-2024-000001",
            verification_code=code,
            filename="公开说明.pdf",
            size=10,
            sha256=code,
            download_url="http://d/x",
            download_expires_at=now,
            rendered_at=now,
        ),
        DocumentPublished(
            document_id=uuid4(),
            enterprise_id=enterprise_id,
            kind="signed-explanation",
            record_ids=[record.record_id],
            submission_id=submission_id,
            filename="签章公开说明.pdf",
            content_type="application/pdf",
            size=10,
            sha256=code,
            reviewed_by="r",
            published_at=now - timedelta(hours=1),
        ),
        RecordStatusChanged(
            record_id=record.record_id,
            enterprise_id=enterprise_id,
            previous_status="awaiting_explanation",
            status="explained",
            changed_at=now,
        ),
    ]
    settings = PortalSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}", log_json=False)
    svc = bootstrap(settings, InProcessTransport())
    async with running(svc.runtime):
        for event in events:
            await svc.runtime.consumer.process(envelope(event, now).to_message())
        transport = httpx.ASGITransport(app=svc.site)
        async with httpx.AsyncClient(transport=transport, base_url="http://portal") as site:
            page = (await site.get(f"/enterprises/{enterprise_id}")).text
            feedback = (await site.get("/categories/enterprise_feedback")).text
            verified = (await site.get(f"/verify/{code}")).text
    assert "违规情况说明" in page
    assert "已说明" in page
    assert "签章公开说明.pdf" in page
    assert feedback.index("事故调查报告") < feedback.index("签章公开说明.pdf")
    assert "BM-2024-000001" in verified
    assert "已审核并公开" in verified


async def test_search_filters_feeds_and_exports_on_sqlite(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    companies = [
        EnterpriseSnapshot(enterprise_id=uuid4(), uscc=f"9161010000000000{i}X", name=name, region_code=region)
        for i, (name, region) in enumerate(
            [("西安兴庆甲公司", "610100"), ("西安兴庆乙公司", "610113"), ("北京兴庆丙公司", "110105")]
        )
    ]
    records = [
        RecordPublished(
            record_id=uuid4(),
            enterprise=company,
            record_type="environmental_supervision",
            explainable=True,
            year=2020 + i,
            source_title=f'=HYPERLINK("x")记录{i}',
            issuing_authority="西安市生态环境局",
            issued_on=date(2020 + i, 3, 9),
            published_at=now,
            explanation_due_on=date(2020 + i, 3, 23),
        )
        for i, company in enumerate(companies)
    ]
    document = DocumentPublished(
        document_id=uuid4(),
        enterprise_id=companies[0].enterprise_id,
        kind="supporting",
        category="discharge_permit",
        record_ids=[records[0].record_id],
        filename="排污许可证.pdf",
        content_type="application/pdf",
        size=10,
        sha256="ab" * 32,
        reviewed_by="r",
        published_at=datetime(2024, 12, 31, 17, 0, tzinfo=UTC),
    )
    settings = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}", log_json=False, page_size=1, export_batch_size=1
    )
    svc = bootstrap(settings, InProcessTransport())
    async with running(svc.runtime):
        for event in (*(EnterpriseRegistered(enterprise=c) for c in companies), *records, document):
            await svc.runtime.consumer.process(envelope(event, now).to_message())
        transport = httpx.ASGITransport(app=svc.site)
        async with httpx.AsyncClient(transport=transport, base_url="http://portal") as site:
            xian = (await site.get("/search", params={"q": "兴庆", "region": "6101"})).text
            overdue = (await site.get("/categories/environmental_supervision", params={"status": "overdue"})).text
            of_2021 = (await site.get("/categories/environmental_supervision", params={"year": "2021"})).text
            documents = (await site.get("/documents", params={"year": "2025", "region": "61"})).text
            atom = await site.get(f"/enterprises/{companies[0].enterprise_id}/feed.atom")
            exported = await site.get("/search.csv", params={"q": "兴庆"})
    assert "共找到 2 家企业" in xian
    assert 'aria-label="第 2 页"' in xian
    assert "共 3 条" in overdue
    assert "记录1" in of_2021
    assert "共 1 条" in of_2021
    assert "排污许可证.pdf" in documents  # 2025-01-01 01:00 in China
    assert atom.status_code == 200
    assert f"ipe/documents/{document.document_id}" in atom.text
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 4
    assert all("'=HYPERLINK" in line for line in lines[1:])
