"""The explanations API in-process on real PostgreSQL, fed RecordPublished through its consumer."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from explanations_testing import DRAFT, Running, accept, assert_problem, envelope, outbox, publish, record_published
from sqlalchemy import func
from sqlmodel import select

from bluemap_explanations.records.models import ExplainableRecord
from bluemap_explanations.records.repository import KnownEnterpriseRepository
from bluemap_shared.auth import ADMIN, REVIEWER
from bluemap_shared.events.catalog import (
    EnterpriseUpdated,
    ExplanationSaved,
    RecordRetracted,
    RecordStatusChanged,
    RecordUpdated,
)
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging.models import InboxMessage
from bluemap_shared.testing import TokenIssuer as Issuer

pytestmark = pytest.mark.integration


async def read_model_row(app: Running, record_id: UUID) -> ExplainableRecord | None:
    async with app.service.runtime.sessionmaker() as session:
        return (await session.exec(select(ExplainableRecord).where(ExplainableRecord.record_id == record_id))).first()


async def saved_events(app: Running, tenant: str) -> list[dict[str, Any]]:
    return await outbox(app, tenant, ExplanationSaved.event_type)


async def test_record_published_feeds_the_workspace(explanations: Running, issuer: Issuer, tenant: str) -> None:
    mine, other = uuid4(), uuid4()
    first = await publish(explanations, tenant, record_published(mine))
    second = await publish(explanations, tenant, record_published(mine, title="陕西永安兴庆门业有限公司"))
    await publish(explanations, tenant, record_published(mine, explainable=False, record_type="emissions_data"))
    await publish(explanations, tenant, record_published(other))

    response = await explanations.client.get("/v1/records", headers=issuer.staff(tenant, mine))
    assert response.status_code == 200
    listed = response.json()
    assert [r["record_id"] for r in listed] == [str(first.record_id), str(second.record_id)]
    assert listed[0] == {
        "record_id": str(first.record_id),
        "tenant_id": tenant,
        "enterprise_id": str(mine),
        "enterprise_name": "陕西永安兴庆门业有限公司",
        "record_type": "environmental_supervision",
        "explainable": True,
        "year": 2020,
        "source_title": "关于对强化监督定点帮扶发现问题进行督办的函(西安)",
        "issuing_authority": "中华人民共和国生态环境部",
        "issued_on": "2020-02-20",
        "explanation_due_on": "2020-03-06",
        "published_at": "2020-02-21T08:00:00Z",
        "saved": False,
        "explanation_id": None,
        "status": "draft",
        "review_comment": None,
        "reviewed_at": None,
        "record_status": None,
        "status_reason": None,
        "status_changed_at": None,
    }


async def test_redelivered_event_changes_nothing(explanations: Running, tenant: str) -> None:
    event = record_published(uuid4())
    message = envelope(tenant, event).to_message()
    await explanations.service.runtime.consumer.process(message)
    before = await read_model_row(explanations, event.record_id)
    assert before is not None

    await explanations.service.runtime.consumer.process(message)
    # The same record announced again under a new event id (a replay from the records outbox).
    await publish(explanations, tenant, event)

    assert await read_model_row(explanations, event.record_id) == before
    async with explanations.service.runtime.sessionmaker() as session:
        handled = await session.exec(
            select(func.count()).select_from(InboxMessage).where(InboxMessage.tenant_id == tenant)
        )
        assert handled.one() == 2  # the redelivery was skipped by the inbox, the replay upserted


async def test_another_tenant_cannot_take_over_a_record(explanations: Running, tenant: str) -> None:
    event = record_published(uuid4())
    await publish(explanations, tenant, event)
    await publish(explanations, f"{tenant}-other", event.model_copy(update={"enterprise": event.enterprise}))
    row = await read_model_row(explanations, event.record_id)
    assert row is not None
    assert row.tenant_id == tenant


async def test_save_creates_a_draft_then_new_versions(explanations: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    record = await publish(explanations, tenant, record_published(enterprise))
    url = f"/v1/records/{record.record_id}/explanation"
    staff = issuer.staff(tenant, enterprise, subject="zhang-san")
    await accept(explanations, staff)

    first = await explanations.client.put(url, json=DRAFT, headers=staff)
    assert first.status_code == 200, first.text
    saved = first.json()
    assert saved["violation"] == "废水超标排放"
    assert saved["corrective_actions"] == "更换设备\n加强巡检"
    assert (saved["status"], saved["version"], saved["saved_by"]) == ("draft", 1, "zhang-san")
    assert (saved["record_id"], saved["enterprise_id"], saved["tenant_id"]) == (
        str(record.record_id),
        str(enterprise),
        tenant,
    )

    second = await explanations.client.put(
        url, json={**DRAFT, "reasons": "", "violation": "改"}, headers=issuer.staff(tenant, enterprise, "li-si")
    )
    assert second.status_code == 200, second.text
    updated = second.json()
    assert (updated["id"], updated["version"], updated["saved_by"]) == (saved["id"], 2, "li-si")
    assert (updated["violation"], updated["reasons"]) == ("改", "")
    assert updated["created_at"] == saved["created_at"]
    assert updated["saved_at"] >= saved["saved_at"]

    fetched = await explanations.client.get(url, headers=staff)
    assert fetched.status_code == 200
    assert fetched.json() == updated

    listed = (await explanations.client.get("/v1/records", headers=staff)).json()
    assert [r["saved"] for r in listed] == [True]

    events = await saved_events(explanations, tenant)
    assert [(e["explanation_id"], e["version"], e["saved_by"]) for e in events] == [
        (saved["id"], 1, "zhang-san"),
        (saved["id"], 2, "li-si"),
    ]
    assert events[0]["record_id"] == str(record.record_id)
    assert events[0]["enterprise_id"] == str(enterprise)


async def test_concurrent_first_saves_make_one_explanation(explanations: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    record = await publish(explanations, tenant, record_published(enterprise))
    url = f"/v1/records/{record.record_id}/explanation"
    await accept(explanations, issuer.staff(tenant, enterprise))
    responses = await asyncio.gather(
        *(explanations.client.put(url, json=DRAFT, headers=issuer.staff(tenant, enterprise)) for _ in range(5))
    )
    assert [r.status_code for r in responses] == [200] * 5
    assert len({r.json()["id"] for r in responses}) == 1
    assert sorted(r.json()["version"] for r in responses) == [1, 2, 3, 4, 5]


async def test_non_explainable_record_is_a_conflict(explanations: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    record = await publish(
        explanations, tenant, record_published(enterprise, explainable=False, record_type="emissions_data")
    )
    response = await explanations.client.put(
        f"/v1/records/{record.record_id}/explanation", json=DRAFT, headers=issuer.staff(tenant, enterprise)
    )
    body = assert_problem(response, 409, "conflict")
    assert body["record_type"] == "emissions_data"
    assert await saved_events(explanations, tenant) == []


async def test_unknown_record_is_not_found(explanations: Running, issuer: Issuer, tenant: str) -> None:
    response = await explanations.client.put(
        f"/v1/records/{uuid7()}/explanation", json=DRAFT, headers=issuer.staff(tenant, uuid4())
    )
    assert_problem(response, 404, "not-found")


async def test_no_explanation_yet_is_not_found(explanations: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    record = await publish(explanations, tenant, record_published(enterprise))
    response = await explanations.client.get(
        f"/v1/records/{record.record_id}/explanation", headers=issuer.staff(tenant, enterprise)
    )
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({**DRAFT, "reasons": "污" * 5001}, "reasons"),
        ({**DRAFT, "violation": "a\x00b"}, "violation"),
        ({"violation": "x", "reasons": "y"}, "corrective_actions"),
        ({**DRAFT, "corrective_actions": 42}, "corrective_actions"),
    ],
)
async def test_invalid_drafts_are_refused(
    explanations: Running, issuer: Issuer, tenant: str, body: dict[str, Any], location: str
) -> None:
    enterprise = uuid4()
    record = await publish(explanations, tenant, record_published(enterprise))
    response = await explanations.client.put(
        f"/v1/records/{record.record_id}/explanation", json=body, headers=issuer.staff(tenant, enterprise)
    )
    problem = assert_problem(response, 422, "invalid-input")
    assert problem["errors"][0]["location"] == ["body", location]


async def test_text_at_the_limit_after_trimming_is_accepted(explanations: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    record = await publish(explanations, tenant, record_published(enterprise))
    await accept(explanations, issuer.staff(tenant, enterprise))
    response = await explanations.client.put(
        f"/v1/records/{record.record_id}/explanation",
        json={**DRAFT, "reasons": "\n  " + "污" * 5000 + "  \n"},
        headers=issuer.staff(tenant, enterprise),
    )
    assert response.status_code == 200, response.text
    assert response.json()["reasons"] == "污" * 5000


async def test_operators_read_but_do_not_write(explanations: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    record = await publish(explanations, tenant, record_published(enterprise))
    url = f"/v1/records/{record.record_id}/explanation"
    await accept(explanations, issuer.staff(tenant, enterprise))
    saved = (await explanations.client.put(url, json=DRAFT, headers=issuer.staff(tenant, enterprise))).json()

    for role in (ADMIN, REVIEWER):
        operator = issuer.headers(tenant, [role])
        response = await explanations.client.get(url, headers=operator)
        assert response.status_code == 200
        assert response.json() == saved
        assert_problem(await explanations.client.put(url, json=DRAFT, headers=operator), 403, "forbidden")

    listed = await explanations.client.get(
        "/v1/records", params={"enterprise_id": str(enterprise)}, headers=issuer.headers(tenant, [REVIEWER])
    )
    assert [(r["record_id"], r["saved"]) for r in listed.json()] == [(str(record.record_id), True)]


async def test_other_enterprises_and_tenants_see_nothing(explanations: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    record = await publish(explanations, tenant, record_published(enterprise))
    url = f"/v1/records/{record.record_id}/explanation"
    await accept(explanations, issuer.staff(tenant, enterprise))
    assert (await explanations.client.put(url, json=DRAFT, headers=issuer.staff(tenant, enterprise))).status_code == 200

    strangers = {
        "other enterprise": issuer.staff(tenant, uuid4()),
        "other tenant, same enterprise id": issuer.staff(f"{tenant}-x", enterprise),
        "other tenant's operator": issuer.headers(f"{tenant}-x", [ADMIN]),
        "no role": issuer.headers(tenant, [], enterprise),
    }
    for who, headers in strangers.items():
        response = await explanations.client.get(url, headers=headers)
        assert response.status_code == 404, who
        assert_problem(response, 404, "not-found")
        listed = await explanations.client.get(
            "/v1/records", params={"enterprise_id": str(enterprise)}, headers=headers
        )
        assert listed.status_code == 200, who
        assert listed.json() == [], who

    for headers in (issuer.staff(tenant, uuid4()), issuer.staff(f"{tenant}-x", enterprise)):
        assert_problem(await explanations.client.put(url, json=DRAFT, headers=headers), 404, "not-found")
    current = (await explanations.client.get(url, headers=issuer.staff(tenant, enterprise))).json()
    assert current["version"] == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/records"), ("GET", "/v1/records/{id}/explanation"), ("PUT", "/v1/records/{id}/explanation")],
)
async def test_no_token_is_unauthorized(explanations: Running, method: str, path: str) -> None:
    response = await explanations.client.request(method, path.format(id=uuid7()), json=DRAFT)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_token_from_another_issuer_is_unauthorized(explanations: Running, tenant: str) -> None:
    forged = Issuer().headers(tenant, [ADMIN])
    assert_problem(await explanations.client.get("/v1/records", headers=forged), 401, "unauthorized")


async def test_record_updates_and_retractions_reach_the_workspace(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    await accept(explanations, staff)
    published = await publish(explanations, tenant, record_published(enterprise))
    updated = RecordUpdated(
        **published.model_dump(exclude={"published_at"}) | {"source_title": "更正后的标题"},
        revision=2,
        updated_at=datetime(2020, 3, 1, tzinfo=UTC),
    )
    await explanations.service.runtime.consumer.process(envelope(tenant, updated).to_message())
    # The first revision replayed under a new event id does not undo the second.
    await publish(explanations, tenant, published)
    [listed] = (await explanations.client.get("/v1/records", headers=staff)).json()
    assert (listed["source_title"], listed["published_at"]) == ("更正后的标题", "2020-02-21T08:00:00Z")

    retracted = RecordRetracted(
        record_id=published.record_id,
        enterprise_id=enterprise,
        reason="发布错误",
        retracted_at=datetime(2020, 3, 2, tzinfo=UTC),
    )
    await explanations.service.runtime.consumer.process(envelope(tenant, retracted).to_message())
    assert (await explanations.client.get("/v1/records", headers=staff)).json() == []
    response = await explanations.client.put(
        f"/v1/records/{published.record_id}/explanation", json=DRAFT, headers=staff
    )
    assert_problem(response, 404, "not-found")


async def test_resolve_and_restore_reach_the_workspace_with_reason_date_and_new_deadline(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    published = await publish(explanations, tenant, record_published(enterprise))
    resolved_at = datetime(2020, 5, 1, tzinfo=UTC)
    restored_at = datetime(2020, 6, 1, tzinfo=UTC)
    new_due = published.explanation_due_on + timedelta(days=120) if published.explanation_due_on else None

    def moved(status: str, reason: str, at: datetime, due: Any) -> RecordStatusChanged:
        return RecordStatusChanged(
            record_id=published.record_id,
            enterprise_id=enterprise,
            previous_status="x",
            status=status,
            reason=reason,
            changed_at=at,
            explanation_due_on=due,
        )

    restored = moved("restored", "复查发现未整改", restored_at, new_due)
    for event in (moved("resolved", "第三方审核确认已整改", resolved_at, None), restored):
        await explanations.service.runtime.consumer.process(envelope(tenant, event).to_message())
    # The resolve delivered again late (a replay under a new event id) does not undo the restore.
    late = moved("resolved", "第三方审核确认已整改", resolved_at, None)
    await explanations.service.runtime.consumer.process(envelope(tenant, late).to_message())
    [listed] = (await explanations.client.get("/v1/records", headers=staff)).json()
    assert (listed["record_status"], listed["status_reason"], listed["status_changed_at"]) == (
        "restored",
        "复查发现未整改",
        "2020-06-01T00:00:00Z",
    )
    assert listed["explanation_due_on"] == (new_due.isoformat() if new_due else None)
    # Another tenant's admin sees nothing of it.
    assert (await explanations.client.get("/v1/records", headers=issuer.headers("other-tenant", [ADMIN]))).json() == []


async def test_the_newest_description_of_an_enterprise_wins(explanations: Running, tenant: str) -> None:
    enterprise = uuid4()
    event = record_published(enterprise, emails=("old@example.cn",))
    newer = EnterpriseUpdated(
        enterprise=event.enterprise.model_copy(update={"registered_emails": ["new@example.cn"], "name_en": "Renamed"}),
        status="active",
    )
    now = datetime.now(UTC)
    await explanations.service.runtime.consumer.process(
        Envelope(
            data=newer, tenant_id=tenant, source="/bluemap/records", subject=newer.subject(), time=now
        ).to_message()
    )
    # A record event carrying the older description, delivered late from another partition.
    await explanations.service.runtime.consumer.process(
        Envelope(
            data=event, tenant_id=tenant, source="/bluemap/records", subject=event.subject(), time=now - timedelta(1)
        ).to_message()
    )
    async with explanations.service.runtime.sessionmaker() as session:
        known = await KnownEnterpriseRepository(session).get(tenant, enterprise)
    assert known is not None
    assert (known.registered_emails, known.name_en, known.uscc) == (["new@example.cn"], "Renamed", "91610000MA6TG0XX0X")
