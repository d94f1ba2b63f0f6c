"""Helpers of the explanations tests (a module name of its own: pytest puts every tests folder on sys.path)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import httpx
import orjson
from sqlmodel import col, select

from bluemap_explanations.bootstrap import ExplanationsService
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import DocumentStored, EnterpriseSnapshot, PdfRendered, PdfSigned, RecordPublished
from bluemap_shared.events.envelope import Envelope, IntegrationEvent
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging.models import OutboxMessage
from bluemap_shared.testing import TokenIssuer

DRAFT = {"violation": "  废水超标排放  ", "reasons": "设备老化", "corrective_actions": "更换设备\r\n加强巡检"}
COMPLETE = {
    "violation": "喷漆房废气收集处理设施未正常运行。",
    "reasons": "活性炭未按期更换。",
    "corrective_actions": "已更换活性炭并建立运行台账。",
}
MONITORING = {
    "pollutant": "化学需氧量",
    "measured_value": "86.5",
    "limit_value": "50",
    "unit": "mg/L",
    "period_start": "2020-07-12T08:00:00+08:00",
    "period_end": "2020-07-12T14:00:00+08:00",
}


@dataclass
class Running:
    service: ExplanationsService
    client: httpx.AsyncClient


def record_published(
    enterprise_id: UUID,
    *,
    explainable: bool = True,
    record_type: str = "environmental_supervision",
    title: str = "关于对强化监督定点帮扶发现问题进行督办的函(西安)",
    emails: tuple[str, ...] = (),
) -> RecordPublished:
    return RecordPublished(
        record_id=uuid7(),
        enterprise=EnterpriseSnapshot(
            enterprise_id=enterprise_id,
            uscc="91610000MA6TG0XX0X",
            name="陕西永安兴庆门业有限公司",
            name_en="Shaanxi Yong'an Xingqing Door Industry Co., Ltd.",
            region_code="610100",
            registered_emails=list(emails),
        ),
        record_type=record_type,
        explainable=explainable,
        year=2020,
        source_title=title,
        issuing_authority="中华人民共和国生态环境部",
        issued_on=date(2020, 2, 20),
        published_at=datetime(2020, 2, 21, 8, 0, tzinfo=UTC),
        explanation_due_on=date(2020, 3, 6) if explainable else None,
    )


def envelope(tenant: str, event: IntegrationEvent, source: str = "/bluemap/records") -> Envelope[Any]:
    return Envelope(data=event, tenant_id=tenant, source=source, subject=event.subject())


async def publish(app: Running, tenant: str, event: RecordPublished) -> RecordPublished:
    await app.service.runtime.consumer.process(envelope(tenant, event).to_message())
    return event


async def deliver(app: Running, tenant: str, event: IntegrationEvent, source: str = "/bluemap/documents") -> None:
    """Feed one event through the consumer, as the transport would."""
    await app.service.runtime.consumer.process(envelope(tenant, event, source).to_message())


async def outbox(app: Running, tenant: str, event_type: str) -> list[dict[str, Any]]:
    """Payloads of the events of one type this service emitted for a tenant, in order."""
    async with app.service.runtime.sessionmaker() as session:
        rows = await session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.tenant_id == tenant, OutboxMessage.event_type == event_type)
            .order_by(col(OutboxMessage.id))
        )
        return [orjson.loads(row.payload) for row in rows]


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].endswith("/" + slug), body
    return body


async def accept(app: Running, headers: dict[str, str], kind: str = "accuracy", language: str = "zh") -> dict[str, Any]:
    """Read the commitment in force, then accept it, as the workspace does."""
    current = await app.client.get(f"/v1/commitments/{kind}", params={"lang": language}, headers=headers)
    assert current.status_code == 200, current.text
    response = await app.client.post(
        f"/v1/commitments/{kind}/acceptances",
        json={"version": current.json()["version"], "language": language},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass
class Enterprise:
    """One enterprise of one tenant, with a user who accepted the accuracy commitment."""

    tenant: str
    id: UUID
    subject: str
    staff: dict[str, str]


async def enterprise(
    app: Running, issuer: TokenIssuer, tenant: str, *, commitments: tuple[str, ...] = ("accuracy",)
) -> Enterprise:
    enterprise_id = uuid7()
    subject = f"staff-{enterprise_id.hex[-6:]}"
    staff = issuer.staff(tenant, enterprise_id, subject=subject)
    for kind in commitments:
        await accept(app, staff, kind)
    return Enterprise(tenant=tenant, id=enterprise_id, subject=subject, staff=staff)


async def drafted(
    app: Running, who: Enterprise, *, record_type: str = "environmental_supervision", **fields: Any
) -> UUID:
    """A record of the enterprise with a complete saved draft; its id."""
    record = await publish(
        app, who.tenant, record_published(who.id, record_type=record_type, emails=("ehs@example.cn",))
    )
    body = {**COMPLETE, **fields}
    response = await app.client.put(f"/v1/records/{record.record_id}/explanation", json=body, headers=who.staff)
    assert response.status_code == 200, response.text
    return record.record_id


def pdf_rendered(submission: dict[str, Any], *, number: str = "BM-2020-000001") -> PdfRendered:
    return PdfRendered(
        document_id=uuid7(),
        submission_id=UUID(submission["id"]),
        enterprise_id=UUID(submission["enterprise_id"]),
        language=submission["language"],
        document_number=number,
        verification_code="ab" * 32,
        filename=f"{number}.pdf",
        size=12345,
        sha256="ab" * 32,
        download_url="https://documents.example/download/x",
        download_expires_at=datetime(2030, 1, 1, tzinfo=UTC),
        rendered_at=datetime.now(UTC),
    )


def pdf_signed(submission: dict[str, Any]) -> PdfSigned:
    return PdfSigned(
        document_id=uuid7(),
        submission_id=UUID(submission["id"]),
        enterprise_id=UUID(submission["enterprise_id"]),
        record_ids=[UUID(i["record_id"]) for i in submission["items"]],
        filename="盖章版.pdf",
        size=54321,
        sha256="cd" * 32,
        pages=2,
        uploaded_by="staff",
        signed_at=datetime.now(UTC),
    )


def document_stored(enterprise_id: UUID | None) -> DocumentStored:
    """What the documents service announces when it stored a file of the enterprise."""
    return DocumentStored(
        document_id=uuid7(),
        enterprise_id=enterprise_id,
        kind="monitoring-evidence",
        filename="证明.pdf",
        content_type="application/pdf",
        size=1024,
        sha256="0" * 64,
        stored_at=utcnow(),
    )
