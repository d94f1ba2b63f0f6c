"""The records API on real PostgreSQL: publish, filters and pages, retraction, operator decisions, history."""

from datetime import date
from typing import Any
from uuid import uuid4

import orjson
import pytest
from records_testing import Running, csv_file, csv_row, new_uscc
from sqlalchemy import text

from bluemap_records.records.lifecycle import RecordStatus

pytestmark = pytest.mark.integration


async def enterprise(records: Running, tenant: str, uscc: str | None = None) -> str:
    response = await records.client.post(
        "/v1/enterprises",
        json={
            "uscc": uscc or new_uscc(),
            "name": "陕西永安兴庆门业有限公司",
            "registered_emails": ["ehs@x.example.cn"],
        },
        headers=records.admin(tenant),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def record_body(enterprise_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "enterprise_id": enterprise_id,
        "record_type": "environmental_supervision",
        "year": 2020,
        "source_title": "关于对强化监督定点帮扶发现问题进行督办的函(西安)",
        "issuing_authority": "中华人民共和国生态环境部",
        "issued_on": "2020-02-20",
        "source_url": "https://www.mee.gov.cn/",
        "summary": "强化监督定点帮扶发现：喷漆房废气收集处理设施未正常运行。",
        **changes,
    }


async def publish(records: Running, tenant: str, enterprise_id: str, **changes: Any) -> dict[str, Any]:
    response = await records.client.post(
        "/v1/records", json=record_body(enterprise_id, **changes), headers=records.admin(tenant)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_publish_stores_provenance_deadline_and_first_history_row(records: Running, tenant: str) -> None:
    enterprise_id = await enterprise(records, tenant)
    record = await publish(records, tenant, enterprise_id, external_id="  MEE-1  ", summary="")
    assert record["external_id"] == "MEE-1"
    assert record["summary"] is None
    assert record["status"] == "awaiting_explanation"
    assert record["explainable"] is True
    assert record["record_type_label_zh"] == "环境监管记录"
    assert record["provenance"]["source"] == "api"
    assert len(record["provenance"]["content_sha256"]) == 64
    assert date.fromisoformat(record["explanation_due_on"]) > date.fromisoformat(record["published_at"][:10])
    history = await records.client.get(f"/v1/records/{record['id']}/status-history", headers=records.admin(tenant))
    assert [(h["previous_status"], h["status"], h["trigger"], h["changed_at"]) for h in history.json()] == [
        (None, "awaiting_explanation", "published", record["published_at"])
    ]
    assert history.json()[0]["actor"].startswith("user-")  # the admin who published it
    duplicate = await records.client.post(
        "/v1/records", json=record_body(enterprise_id, external_id="MEE-1"), headers=records.admin(tenant)
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["record_id"] == record["id"]
    emissions = await publish(records, tenant, enterprise_id, record_type="emissions_data")
    assert (emissions["status"], emissions["explanation_due_on"]) == ("published", None)


@pytest.mark.parametrize(
    "changes",
    [
        {"year": 1989},
        {"year": date.today().year + 2},
        {"record_type": "nope"},
        {"source_url": "ftp://x.cn/"},
        {"source_title": "   "},
        {"summary": "x" * 20_001},
        {"source_title": "有\x00控制字符"},
    ],
)
async def test_publish_follows_the_import_formats_rules(records: Running, tenant: str, changes: dict[str, Any]) -> None:
    enterprise_id = await enterprise(records, tenant)
    response = await records.client.post(
        "/v1/records", json=record_body(enterprise_id, **changes), headers=records.admin(tenant)
    )
    assert response.status_code == 422, response.text


async def test_a_record_published_by_api_is_unchanged_when_imported_as_it_is(records: Running, tenant: str) -> None:
    uscc = new_uscc()
    enterprise_id = await enterprise(records, tenant, uscc)
    await publish(records, tenant, enterprise_id, external_id="SAME-1")
    imported = await records.upload(
        tenant,
        csv_file(
            csv_row(
                uscc=uscc,
                external_id="SAME-1",
                enterprise_name="陕西永安兴庆门业有限公司",
                enterprise_name_en="",
                region_code="",
                registered_email="ehs@x.example.cn",
            )
        ),
    )
    assert {k: imported.json()[k] for k in ("created", "updated", "unchanged")} == {
        "created": 0, "updated": 0, "unchanged": 1,
    }  # fmt: skip


async def test_filters_and_stable_pages_newest_issue_first(records: Running, tenant: str) -> None:
    enterprise_a = await enterprise(records, tenant)
    enterprise_b = await enterprise(records, tenant)
    published = []
    for i in range(12):
        published.append(
            await publish(
                records,
                tenant,
                enterprise_a if i % 3 else enterprise_b,
                external_id=f"F-{i}",
                record_type="rectification_order" if i % 2 else "accident",
                year=2015 + i % 4,
                issued_on=f"2020-03-{1 + i % 6:02d}",
                issuing_authority="西安市生态环境局" if i < 6 else "中华人民共和国生态环境部",
            )
        )
    admin = records.admin(tenant)

    async def all_pages(**params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**params, "limit": 5, **({"cursor": cursor} if cursor else {})}
            response = await records.client.get("/v1/records", params=query, headers=admin)
            assert response.status_code == 200, response.text
            items += response.json()["items"]
            cursor = response.json()["next_cursor"]
            if cursor is None:
                return items

    everything = await all_pages()
    assert len(everything) == 12
    assert len({r["id"] for r in everything}) == 12
    assert [(r["issued_on"], r["id"]) for r in everything] == sorted(
        ((r["issued_on"], r["id"]) for r in everything), reverse=True
    )
    page = await all_pages(enterprise_id=enterprise_a, record_type="accident")
    assert {r["external_id"] for r in page} == {f"F-{i}" for i in range(12) if i % 3 and not i % 2}
    assert {r["year"] for r in await all_pages(year=2016)} == {2016}
    assert len(await all_pages(issuing_authority="西安市生态环境局")) == 6
    ranged = await all_pages(issued_from="2020-03-02", issued_to="2020-03-03")
    assert {r["issued_on"] for r in ranged} == {"2020-03-02", "2020-03-03"}
    assert len(await all_pages(status="awaiting_explanation")) == 12
    assert await all_pages(status="explained") == []
    assert (await records.client.get("/v1/records", params={"record_type": "x"}, headers=admin)).status_code == 422
    assert (await records.client.get("/v1/records", params={"status": "x"}, headers=admin)).status_code == 422

    # Enterprise staff see their own enterprise's records, whatever they ask for.
    staff = records.staff(tenant, enterprise_b)
    own = (await records.client.get("/v1/records", headers=staff)).json()["items"]
    assert {r["enterprise_id"] for r in own} == {enterprise_b}
    asked = await records.client.get("/v1/records", params={"enterprise_id": enterprise_a}, headers=staff)
    assert asked.json()["items"] == []
    assert (await records.client.get(f"/v1/records/{page[0]['id']}", headers=staff)).status_code == 404


async def test_reviewers_neither_resolve_restore_nor_retract(records: Running, tenant: str) -> None:
    """Delisting and withdrawing records are the tenant admin's decisions; a reviewer gets 403 and changes nothing."""
    enterprise_id = await enterprise(records, tenant)
    record = await publish(records, tenant, enterprise_id)
    url = f"/v1/records/{record['id']}"
    async with records.service.runtime.engine.begin() as connection:
        await connection.execute(
            text("UPDATE records SET status = 'explained' WHERE id = CAST(:id AS uuid)").bindparams(id=record["id"])
        )
    reviewer = records.reviewer(tenant)
    for action, body in (("resolve", {"reason": "已整改"}), ("restore", {"reason": "x"}), ("retract", {"reason": "x"})):
        refused = await records.client.post(f"{url}/{action}", json=body, headers=reviewer)
        assert refused.status_code == 403, (action, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    after = (await records.client.get(url, headers=records.admin(tenant))).json()
    assert (after["status"], after["retraction_reason"]) == ("explained", None)


async def test_retracted_records_leave_every_list(records: Running, tenant: str) -> None:
    enterprise_id = await enterprise(records, tenant)
    record = await publish(records, tenant, enterprise_id, external_id="R-1")
    kept = await publish(records, tenant, enterprise_id, external_id="R-2")
    url = f"/v1/records/{record['id']}/retract"
    assert (await records.client.post(url, json={"reason": ""}, headers=records.admin(tenant))).status_code == 422
    retracted = await records.client.post(url, json={"reason": "发布有误"}, headers=records.admin(tenant))
    assert retracted.status_code == 200
    assert retracted.json()["retraction_reason"] == "发布有误"
    assert (await records.client.post(url, json={"reason": "again"}, headers=records.admin(tenant))).status_code == 409
    listed = (await records.client.get("/v1/records", headers=records.admin(tenant))).json()["items"]
    assert [r["id"] for r in listed] == [kept["id"]]
    # Operators still find it by id; the enterprise does not.
    assert (await records.client.get(f"/v1/records/{record['id']}", headers=records.admin(tenant))).status_code == 200
    staff = records.staff(tenant, enterprise_id)
    assert (await records.client.get(f"/v1/records/{record['id']}", headers=staff)).status_code == 404
    [event] = [m for m in await records.outbox(tenant) if m.event_type.endswith("record-retracted.v1")]
    assert orjson.loads(event.payload)["reason"] == "发布有误"
    resolve = await records.client.post(
        f"/v1/records/{record['id']}/resolve", json={"reason": "第三方审核"}, headers=records.admin(tenant)
    )
    assert resolve.status_code == 409


async def test_admins_resolve_and_restore_after_audit_and_illegal_moves_are_409(records: Running, tenant: str) -> None:
    enterprise_id = await enterprise(records, tenant)
    record = await publish(records, tenant, enterprise_id)
    url = f"/v1/records/{record['id']}"
    audited = {"reason": "第三方审核确认已整改"}
    early = await records.client.post(f"{url}/resolve", json=audited, headers=records.admin(tenant))
    assert early.status_code == 409
    assert early.headers["content-type"] == "application/problem+json"
    assert early.json()["record_status"] == "awaiting_explanation"

    async with records.service.runtime.engine.begin() as connection:
        await connection.execute(  # the explanation workflow, abridged
            text("UPDATE records SET status = 'explained' WHERE id = CAST(:id AS uuid)").bindparams(id=record["id"])
        )
    for missing in (None, {}, {"reason": ""}, {"reason": "   "}):
        refused = await records.client.post(f"{url}/resolve", json=missing, headers=records.admin(tenant))
        assert refused.status_code == 422, missing  # a decision after an audit always says why
    resolved = await records.client.post(
        f"{url}/resolve", json={"reason": "现场核查已整改"}, headers=records.admin(tenant)
    )
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    restored = await records.client.post(
        f"{url}/restore", json={"reason": "复查发现未整改"}, headers=records.admin(tenant)
    )
    assert restored.status_code == 200
    assert restored.json()["status"] == "restored"
    assert restored.json()["explanation_due_on"] >= record["explanation_due_on"]  # a new deadline from today
    again = await records.client.post(f"{url}/restore", json=audited, headers=records.admin(tenant))
    assert again.status_code == 409
    staff = records.staff(tenant, enterprise_id)
    assert (await records.client.post(f"{url}/resolve", json=audited, headers=staff)).status_code == 403
    assert (
        await records.client.post(f"/v1/records/{uuid4()}/resolve", json=audited, headers=records.admin(tenant))
    ).status_code == 404

    history = (await records.client.get(f"{url}/status-history", headers=staff)).json()
    assert [(h["previous_status"], h["status"], h["trigger"], h["reason"]) for h in history[1:]] == [
        ("explained", "resolved", "resolve", "现场核查已整改"),
        ("resolved", "restored", "restore", "复查发现未整改"),
    ]
    changes = [orjson.loads(m.payload) for m in await records.outbox(tenant) if "status-changed" in m.event_type]
    assert [(c["previous_status"], c["status"], c["reason"]) for c in changes] == [
        (RecordStatus.EXPLAINED, RecordStatus.RESOLVED, "现场核查已整改"),
        (RecordStatus.RESOLVED, RecordStatus.RESTORED, "复查发现未整改"),
    ]
    # The new deadline travels with the restore, so every copy of the record shows the same one.
    assert changes[-1]["explanation_due_on"] == restored.json()["explanation_due_on"]


async def test_operators_correct_a_records_content_and_its_history_keeps_the_old(records: Running, tenant: str) -> None:
    enterprise_id = await enterprise(records, tenant)
    record = await publish(records, tenant, enterprise_id, external_id="P-1")
    other = await publish(records, tenant, enterprise_id, external_id="P-2")
    url = f"/v1/records/{record['id']}"
    admin = records.admin(tenant)
    corrected = await records.client.patch(url, json={"summary": "更正：喷漆房废气直排。", "year": 2021}, headers=admin)
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["revision"], corrected.json()["summary"], corrected.json()["year"]) == (
        2, "更正：喷漆房废气直排。", 2021,
    )  # fmt: skip
    assert corrected.json()["provenance"]["content_sha256"] != record["provenance"]["content_sha256"]
    assert (await records.client.patch(url, json={"year": 2021}, headers=admin)).json()["revision"] == 2
    revisions = (await records.client.get(f"{url}/revisions", headers=admin)).json()
    assert [(r["revision"], r["year"], r["summary"]) for r in revisions] == [(1, 2020, record["summary"])]
    updates = [
        orjson.loads(m.payload) for m in await records.outbox(tenant) if m.event_type.endswith("record-updated.v1")
    ]
    assert [(u["record_id"], u["revision"]) for u in updates] == [(record["id"], 2)]

    for change, status in (
        ({"source_title": None}, 422),
        ({"year": 1900}, 422),
        ({"record_type": "emissions_data"}, 409),  # would no longer need an explanation
        ({"external_id": "P-2"}, 409),  # the other record's identity
        ({"enterprise_id": str(uuid4())}, 422),  # not a content field
    ):
        response = await records.client.patch(url, json=change, headers=admin)
        assert response.status_code == status, (change, response.text)
    assert (await records.client.patch(url, json={"year": 2022}, headers=records.reviewer(tenant))).status_code == 403
    assert other["revision"] == 1
