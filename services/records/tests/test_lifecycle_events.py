"""The explanations service's workflow events move records through their lifecycle, idempotently."""

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from records_testing import Running, csv_file, csv_row, new_uscc
from sqlmodel import select

from bluemap_shared.events.catalog import (
    EnterpriseSnapshot,
    ExplanationPublished,
    ExplanationRejected,
    ExplanationSubmitted,
    ItemDecision,
    PdfSigned,
    SubmissionReviewed,
    SubmissionSigned,
    SubmittedExplanation,
)
from bluemap_shared.events.envelope import Envelope, IntegrationEvent
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging.models import DeadLetter

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


async def imported(records: Running, tenant: str, *record_types: str) -> tuple[UUID, list[dict[str, Any]]]:
    uscc = new_uscc()
    rows = [csv_row(uscc=uscc, external_id=f"L-{i}", record_type=t) for i, t in enumerate(record_types)]
    assert (await records.upload(tenant, csv_file(*rows))).json()["created"] == len(rows)
    items = (await records.client.get("/v1/records", headers=records.admin(tenant))).json()["items"]
    items.sort(key=lambda r: r["external_id"])
    return UUID(items[0]["enterprise_id"]), items


async def deliver(records: Running, tenant: str, event: IntegrationEvent, envelope_id: UUID | None = None) -> UUID:
    envelope = Envelope(
        data=event, tenant_id=tenant, source="/bluemap/explanations", subject=event.subject(), id=envelope_id or uuid7()
    )
    await records.service.runtime.consumer.process(envelope.to_message())
    return envelope.id


def submitted(enterprise_id: UUID, record_ids: list[str]) -> ExplanationSubmitted:
    return ExplanationSubmitted(
        submission_id=uuid7(),
        enterprise=EnterpriseSnapshot(
            enterprise_id=enterprise_id, uscc="91610100992777567D", name="陕西永安兴庆门业有限公司"
        ),
        language="zh",
        explanations=[
            SubmittedExplanation(
                explanation_id=uuid7(),
                record_id=UUID(record_id),
                record_type="environmental_supervision",
                year=2020,
                source_title="关于对强化监督定点帮扶发现问题进行督办的函(西安)",
                issuing_authority="中华人民共和国生态环境部",
                issued_on=date(2020, 2, 20),
                violation="v",
                reasons="r",
                corrective_actions="c",
            )
            for record_id in record_ids
        ],
        commitments=[],
        submitted_by="staff-1",
        submitted_at=NOW,
    )


def signed(enterprise_id: UUID, record_ids: list[str]) -> SubmissionSigned:
    return SubmissionSigned(
        submission_id=uuid7(), enterprise_id=enterprise_id, record_ids=[UUID(r) for r in record_ids],
        signed_document_id=uuid7(), signed_at=NOW,
    )  # fmt: skip


def reviewed(
    enterprise_id: UUID, record_ids: list[str], outcome: str, rejected: str | None = None
) -> SubmissionReviewed:
    return SubmissionReviewed.model_validate(
        {
            "submission_id": uuid7(),
            "enterprise_id": enterprise_id,
            "outcome": outcome,
            "signed_document_id": uuid7(),
            "scan_decision": "approved",
            "items": [
                ItemDecision(
                    explanation_id=uuid7(),
                    record_id=UUID(r),
                    decision="rejected" if r == rejected else "approved",
                    comment="请补充整改证明" if r == rejected else None,
                )
                for r in record_ids
            ],
            "reviewed_by": "reviewer-1",
            "reviewed_at": NOW,
        }
    )


def documents_signed(enterprise_id: UUID, record_ids: list[str]) -> PdfSigned:
    return PdfSigned(
        document_id=uuid7(), submission_id=uuid7(), enterprise_id=enterprise_id,
        record_ids=[UUID(r) for r in record_ids], filename="说明.pdf", size=1, sha256="0" * 64, pages=1,
        uploaded_by="staff-1", signed_at=NOW,
    )  # fmt: skip


def published(enterprise_id: UUID, record_id: str) -> ExplanationPublished:
    return ExplanationPublished(
        explanation_id=uuid7(), submission_id=uuid7(), record_id=UUID(record_id), enterprise_id=enterprise_id,
        violation="v", reasons="r", corrective_actions="c", reviewed_by="reviewer-1", comment="通过",
        published_at=NOW,
    )  # fmt: skip


def rejected(enterprise_id: UUID, record_id: str) -> ExplanationRejected:
    return ExplanationRejected(
        explanation_id=uuid7(), submission_id=uuid7(), record_id=UUID(record_id), enterprise_id=enterprise_id,
        comment="请补充整改证明", reviewed_by="reviewer-1", rejected_at=NOW,
    )  # fmt: skip


async def statuses(records: Running, tenant: str, items: list[dict[str, Any]]) -> list[str]:
    found = []
    for item in items:
        response = await records.client.get(f"/v1/records/{item['id']}", headers=records.admin(tenant))
        found.append(response.json()["status"])
    return found


async def status_changes(records: Running, tenant: str) -> list[dict[str, Any]]:
    return [orjson.loads(m.payload) for m in await records.outbox(tenant) if "status-changed" in m.event_type]


async def test_the_disclosure_workflow_moves_records_and_keeps_the_history(records: Running, tenant: str) -> None:
    enterprise_id, items = await imported(records, tenant, "environmental_supervision", "accident")
    ids = [i["id"] for i in items]
    cause = await deliver(records, tenant, submitted(enterprise_id, ids))
    assert await statuses(records, tenant, items) == ["explanation_submitted"] * 2
    # Documents' own PdfSigned is no longer a trigger: only explanations' SubmissionSigned is.
    await deliver(records, tenant, documents_signed(enterprise_id, ids))
    assert await statuses(records, tenant, items) == ["explanation_submitted"] * 2
    await deliver(records, tenant, signed(enterprise_id, ids))
    assert await statuses(records, tenant, items) == ["under_review"] * 2
    # One explanation rejected: the whole submission is returned, both records owe an explanation again.
    await deliver(records, tenant, reviewed(enterprise_id, ids, "returned", rejected=ids[1]))
    assert await statuses(records, tenant, items) == ["awaiting_explanation"] * 2

    history = (await records.client.get(f"/v1/records/{ids[1]}/status-history", headers=records.admin(tenant))).json()
    assert [(h["status"], h["trigger"], h["actor"]) for h in history] == [
        ("awaiting_explanation", "published", history[0]["actor"]),
        ("explanation_submitted", "explanation_submitted", "staff-1"),
        ("under_review", "submission_signed", None),
        ("awaiting_explanation", "submission_returned", "reviewer-1"),
    ]
    assert history[1]["cause_event_id"] == str(cause)
    assert history[3]["reason"] == "请补充整改证明"

    # Sent again, signed and published: both explained.
    await deliver(records, tenant, submitted(enterprise_id, ids))
    await deliver(records, tenant, signed(enterprise_id, ids))
    await deliver(records, tenant, reviewed(enterprise_id, ids, "published"))
    assert await statuses(records, tenant, items) == ["explained"] * 2
    changes = await status_changes(records, tenant)
    assert len(changes) == 12
    assert changes[0]["cause_event_id"] == str(cause)
    assert changes[0]["previous_status"] == "awaiting_explanation"


async def test_v1_explanation_events_in_flight_at_the_upgrade_still_move_records(records: Running, tenant: str) -> None:
    enterprise_id, items = await imported(records, tenant, "environmental_supervision", "accident")
    ids = [i["id"] for i in items]
    await deliver(records, tenant, submitted(enterprise_id, ids))
    await deliver(records, tenant, signed(enterprise_id, ids))
    await deliver(records, tenant, published(enterprise_id, ids[0]))
    await deliver(records, tenant, rejected(enterprise_id, ids[1]))
    assert await statuses(records, tenant, items) == ["explained", "awaiting_explanation"]


async def test_redelivered_and_inapplicable_events_change_nothing(records: Running, tenant: str) -> None:
    enterprise_id, items = await imported(records, tenant, "environmental_supervision", "emissions_data")
    explainable, not_explainable = (i["id"] for i in items)
    event = submitted(enterprise_id, [explainable])
    envelope_id = await deliver(records, tenant, event)
    await deliver(records, tenant, event, envelope_id)  # Kafka redelivers the very same event
    await deliver(records, tenant, submitted(enterprise_id, [explainable]))  # submitted twice: not a move
    await deliver(records, tenant, published(enterprise_id, explainable))  # v1: allowed, it could overtake
    await deliver(records, tenant, signed(enterprise_id, [explainable]))  # late, so illegal now
    await deliver(records, tenant, submitted(enterprise_id, [not_explainable]))  # nothing to explain
    await deliver(records, tenant, submitted(uuid4(), [explainable]))  # another enterprise's claim
    await deliver(records, f"{tenant}-other", rejected(enterprise_id, explainable))  # another tenant's
    await deliver(records, tenant, rejected(enterprise_id, str(uuid4())))  # no such record
    assert await statuses(records, tenant, items) == ["explained", "published"]
    assert [(c["previous_status"], c["status"]) for c in await status_changes(records, tenant)] == [
        ("awaiting_explanation", "explanation_submitted"),
        ("explanation_submitted", "explained"),
    ]
    async with records.service.runtime.sessionmaker() as session:
        assert (await session.exec(select(DeadLetter))).all() == []  # ignored, not failed
