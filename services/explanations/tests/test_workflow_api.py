"""Send Public Explanation, the PDF's rendering and signing, review: on real PostgreSQL, fed events like Kafka would."""

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from explanations_testing import (
    COMPLETE,
    MONITORING,
    Enterprise,
    Running,
    accept,
    assert_problem,
    deliver,
    document_stored,
    drafted,
    enterprise,
    envelope,
    outbox,
    pdf_rendered,
    pdf_signed,
    publish,
    record_published,
)
from sqlalchemy import func
from sqlmodel import select

from bluemap_shared.auth import ADMIN, REVIEWER
from bluemap_shared.events.catalog import (
    DocumentRejected,
    ExplanationPublished,
    ExplanationRejected,
    ExplanationSubmitted,
    PdfSigned,
)
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging.models import DeadLetter, InboxMessage
from bluemap_shared.testing import TokenIssuer as Issuer

pytestmark = pytest.mark.integration


async def send(app: Running, who: Enterprise, record_ids: list[UUID], **extra: Any) -> dict[str, Any]:
    response = await app.client.post(
        "/v1/submissions", json={"record_ids": [str(r) for r in record_ids], **extra}, headers=who.staff
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def statuses(app: Running, who: Enterprise) -> dict[str, tuple[str, str | None]]:
    listed = (await app.client.get("/v1/records", headers=who.staff)).json()
    return {r["record_id"]: (r["status"], r["review_comment"]) for r in listed}


async def submission(app: Running, who: Enterprise, submission_id: str) -> dict[str, Any]:
    response = await app.client.get(f"/v1/submissions/{submission_id}", headers=who.staff)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def signed(app: Running, who: Enterprise, record_ids: list[UUID]) -> dict[str, Any]:
    """Sent, rendered and signed: its explanations are under review."""
    sent = await send(app, who, record_ids)
    await deliver(app, who.tenant, pdf_rendered(sent))
    await deliver(app, who.tenant, pdf_signed(sent))
    return await submission(app, who, sent["id"])


def explanation_ids(body: dict[str, Any]) -> list[str]:
    return [item["explanation_id"] for item in body["items"]]


async def decide(
    app: Running, headers: dict[str, str], explanation_id: str, action: str, comment: str | None = None
) -> Any:
    body = {} if comment is None else {"comment": comment}
    return await app.client.post(f"/v1/review/explanations/{explanation_id}/{action}", json=body, headers=headers)


async def test_the_disclosure_workflow_end_to_end(explanations: Running, issuer: Issuer, tenant: str) -> None:
    who = await enterprise(explanations, issuer, tenant)
    first = await drafted(explanations, who)
    second = await drafted(explanations, who, corrective_actions="已恢复运行并加装在线监控。")
    assert await statuses(explanations, who) == {str(first): ("saved", None), str(second): ("saved", None)}

    # STEP 5-6: Send needs the deadline commitment too.
    refused = await explanations.client.post(
        "/v1/submissions", json={"record_ids": [str(first), str(second)]}, headers=who.staff
    )
    assert assert_problem(refused, 409, "commitment-required")["kinds"] == ["deadline"]
    deadline = await accept(explanations, who.staff, "deadline", language="en")

    sent = await send(explanations, who, [second, first])
    assert (sent["status"], sent["language"], sent["enterprise_id"]) == ("sent", "en", str(who.id))
    assert [item["record_id"] for item in sent["items"]] == [str(second), str(first)]
    assert {item["explanation_status"] for item in sent["items"]} == {"submitted"}
    assert {item["outcome"] for item in sent["items"]} == {"pending"}
    assert [c["kind"] for c in sent["commitments"]] == ["accuracy", "deadline"]
    assert sent["commitments"][1]["id"] == deadline["id"]
    assert sent["commitments"][1]["text"].endswith("within 10 working days.")
    assert sent["documents"] == {"rendered": None, "signed": None}
    # Send describes what it wrote without reading it back: the same as reading it back.
    assert sent == await submission(explanations, who, sent["id"])
    assert await statuses(explanations, who) == {str(first): ("submitted", None), str(second): ("submitted", None)}

    [event] = await outbox(explanations, tenant, ExplanationSubmitted.event_type)
    assert event["submission_id"] == sent["id"]
    assert event["enterprise"] == {
        "enterprise_id": str(who.id),
        "uscc": "91610000MA6TG0XX0X",
        "name": "陕西永安兴庆门业有限公司",
        "name_en": "Shaanxi Yong'an Xingqing Door Industry Co., Ltd.",
        "region_code": "610100",
        "registered_emails": ["ehs@example.cn"],
    }
    assert event["language"] == "en"
    assert event["submitted_by"] == who.subject
    sent_first = event["explanations"][1]
    assert sent_first == {
        "explanation_id": sent["items"][1]["explanation_id"],
        "record_id": str(first),
        "record_type": "environmental_supervision",
        "year": 2020,
        "source_title": "关于对强化监督定点帮扶发现问题进行督办的函(西安)",
        "issuing_authority": "中华人民共和国生态环境部",
        "issued_on": "2020-02-20",
        **COMPLETE,
        "monitoring": None,
    }
    assert event["explanations"][0]["corrective_actions"] == "已恢复运行并加装在线监控。"
    assert sent["items"][1]["sent"] == sent_first
    assert [(c["kind"], c["version"], c["language"]) for c in event["commitments"]] == [
        ("accuracy", 1, "zh"),
        ("deadline", 1, "en"),
    ]
    assert event["commitments"][1]["text_sha256"] == deadline["text_sha256"]

    # STEP 7: documents rendered the PDF and mailed it.
    rendered = pdf_rendered(sent)
    await deliver(explanations, tenant, rendered)
    now = await submission(explanations, who, sent["id"])
    assert now["status"] == "pdf_rendered"
    assert now["documents"]["rendered"]["document_id"] == str(rendered.document_id)
    assert now["documents"]["rendered"]["document_number"] == "BM-2020-000001"
    assert now["documents"]["rendered"]["verification_code"] == "ab" * 32

    # STEP 8-10: the signed scan was uploaded and validated.
    scan = pdf_signed(sent)
    await deliver(explanations, tenant, scan)
    now = await submission(explanations, who, sent["id"])
    assert now["status"] == "signed"
    assert (now["documents"]["signed"]["document_id"], now["documents"]["signed"]["pages"]) == (
        str(scan.document_id),
        2,
    )
    assert {item["explanation_status"] for item in now["items"]} == {"under_review"}
    assert await statuses(explanations, who) == {
        str(first): ("under_review", None),
        str(second): ("under_review", None),
    }

    # Review: the queue shows everything the console needs side by side.
    reviewer = issuer.headers(tenant, [REVIEWER], subject="reviewer-1")
    [queued] = (await explanations.client.get("/v1/review/submissions", headers=reviewer)).json()
    assert queued == now
    approve_id, reject_id = explanation_ids(now)[1], explanation_ids(now)[0]

    approved = await decide(explanations, reviewer, approve_id, "approve", "同意公开")
    assert approved.status_code == 200, approved.text
    assert approved.json()["explanation"]["status"] == "published"
    assert approved.json()["decision"]["decision"] == "approved"
    rejected = await decide(
        explanations, issuer.headers(tenant, [ADMIN], subject="admin-1"), reject_id, "reject", "请补充整改照片"
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["explanation"]["status"] == "draft"

    [published] = await outbox(explanations, tenant, ExplanationPublished.event_type)
    assert published["explanation_id"] == approve_id
    assert published["submission_id"] == sent["id"]
    # When it was sent: the portal's responsiveness dashboard counts the operator's review time from it.
    assert datetime.fromisoformat(published["submitted_at"]) == datetime.fromisoformat(sent["submitted_at"])
    assert (published["record_id"], published["enterprise_id"]) == (str(first), str(who.id))
    assert (published["violation"], published["reviewed_by"], published["comment"]) == (
        COMPLETE["violation"],
        "reviewer-1",
        "同意公开",
    )
    [rejection] = await outbox(explanations, tenant, ExplanationRejected.event_type)
    assert (rejection["explanation_id"], rejection["comment"], rejection["reviewed_by"]) == (
        reject_id,
        "请补充整改照片",
        "admin-1",
    )

    done = await submission(explanations, who, sent["id"])
    assert done["status"] == "reviewed"
    assert done["reviewed_at"] is not None
    assert [(i["outcome"], [d["decision"] for d in i["decisions"]]) for i in done["items"]] == [
        ("rejected", ["rejected"]),
        ("published", ["approved"]),
    ]
    assert done["items"][0]["decisions"][0]["comment"] == "请补充整改照片"
    assert await statuses(explanations, who) == {
        str(first): ("published", "同意公开"),
        str(second): ("rejected", "请补充整改照片"),
    }
    assert (await explanations.client.get("/v1/review/submissions", headers=reviewer)).json() == []
    history = await explanations.client.get("/v1/review/submissions", params={"status": "reviewed"}, headers=reviewer)
    assert [s["id"] for s in history.json()] == [sent["id"]]

    # Rejected: editable again, and sent anew; the published one is final.
    url = f"/v1/records/{second}/explanation"
    fixed = await explanations.client.put(url, json={**COMPLETE, "reasons": "补充：附整改照片。"}, headers=who.staff)
    assert fixed.status_code == 200, fixed.text
    assert (await statuses(explanations, who))[str(second)] == ("rejected", "请补充整改照片")
    assert_problem(
        await explanations.client.put(f"/v1/records/{first}/explanation", json=COMPLETE, headers=who.staff),
        409,
        "explanation-not-editable",
    )
    # The deadline commitment is accepted at each Send, as in the seed.
    assert_problem(
        await explanations.client.post("/v1/submissions", json={"record_ids": [str(second)]}, headers=who.staff),
        409,
        "commitment-required",
    )
    again = await send(explanations, who, [second], deadline_commitment={"version": 1, "language": "en"})
    assert again["id"] != sent["id"]
    assert again["items"][0]["sent"]["reasons"] == "补充：附整改照片。"
    assert (await statuses(explanations, who))[str(second)] == ("submitted", "请补充整改照片")
    old = await submission(explanations, who, sent["id"])
    assert old["items"][0]["sent"]["reasons"] == COMPLETE["reasons"], "what was sent stays as it was sent"
    mine = (await explanations.client.get("/v1/submissions", headers=who.staff)).json()
    assert [s["id"] for s in mine] == [sent["id"], again["id"]]
    open_only = await explanations.client.get("/v1/submissions", params={"status": "sent"}, headers=who.staff)
    assert [s["id"] for s in open_only.json()] == [again["id"]]


async def test_the_request_language_overrides_the_commitments(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    record = await drafted(explanations, who)
    sent = await send(explanations, who, [record], language="en")
    assert sent["language"] == "en"
    [event] = await outbox(explanations, tenant, ExplanationSubmitted.event_type)
    assert event["language"] == "en"


async def test_the_language_defaults_to_the_deadline_acceptances(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    sent = await send(explanations, who, [await drafted(explanations, who)])
    assert sent["language"] == "zh"


async def test_incomplete_explanations_are_named_per_record_and_field(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    complete = await drafted(explanations, who)
    blank = await drafted(explanations, who, reasons="  ", corrective_actions="")
    unsaved = (await publish(explanations, tenant, record_published(who.id))).record_id
    monitoring = await drafted(explanations, who, record_type="automated_monitoring")
    partial = await drafted(
        explanations, who, record_type="automated_monitoring", monitoring={**MONITORING, "limit_value": ""}
    )
    other_type = (
        await publish(explanations, tenant, record_published(who.id, explainable=False, record_type="emissions_data"))
    ).record_id

    response = await explanations.client.post(
        "/v1/submissions",
        json={"record_ids": [str(r) for r in (complete, blank, unsaved, monitoring, partial, other_type)]},
        headers=who.staff,
    )
    body = assert_problem(response, 422, "submission-incomplete")
    assert body["errors"] == [
        {"record_id": str(blank), "field": "reasons", "reason": "empty"},
        {"record_id": str(blank), "field": "corrective_actions", "reason": "empty"},
        {"record_id": str(unsaved), "field": "violation", "reason": "missing"},
        {"record_id": str(unsaved), "field": "reasons", "reason": "missing"},
        {"record_id": str(unsaved), "field": "corrective_actions", "reason": "missing"},
        {"record_id": str(monitoring), "field": "monitoring", "reason": "missing"},
        {"record_id": str(partial), "field": "monitoring.limit_value", "reason": "empty"},
        {"record_id": str(other_type), "field": None, "reason": "not-explainable"},
    ]
    assert await outbox(explanations, tenant, ExplanationSubmitted.event_type) == []
    assert (await statuses(explanations, who))[str(complete)] == ("saved", None), "nothing was sent"


@pytest.mark.parametrize("body", [{"record_ids": []}, {}, {"record_ids": ["x"]}, {"record_ids": [], "language": "fr"}])
async def test_a_malformed_submission_is_invalid(
    explanations: Running, issuer: Issuer, tenant: str, body: dict[str, Any]
) -> None:
    who = await enterprise(explanations, issuer, tenant)
    assert_problem(
        await explanations.client.post("/v1/submissions", json=body, headers=who.staff), 422, "invalid-input"
    )


async def test_unknown_records_are_not_found(explanations: Running, issuer: Issuer, tenant: str) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    record = await drafted(explanations, who)
    missing = uuid7()
    response = await explanations.client.post(
        "/v1/submissions", json={"record_ids": [str(record), str(missing)]}, headers=who.staff
    )
    assert assert_problem(response, 404, "not-found")["record_ids"] == [str(missing)]


async def test_sending_the_same_records_twice_is_refused(explanations: Running, issuer: Issuer, tenant: str) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    first, second = await drafted(explanations, who), await drafted(explanations, who)
    sent = await send(explanations, who, [first])
    for record_ids in ([first], [second, first], [first, first]):
        response = await explanations.client.post(
            "/v1/submissions", json={"record_ids": [str(r) for r in record_ids]}, headers=who.staff
        )
        body = assert_problem(response, 409, "already-submitted")
        assert body["records"] == [{"record_id": str(first), "status": "submitted"}]
    # Still refused once the signed scan put it under review.
    await deliver(explanations, tenant, pdf_signed(sent))
    body = assert_problem(
        await explanations.client.post("/v1/submissions", json={"record_ids": [str(first)]}, headers=who.staff),
        409,
        "already-submitted",
    )
    assert body["records"] == [{"record_id": str(first), "status": "under_review"}]
    assert len(await outbox(explanations, tenant, ExplanationSubmitted.event_type)) == 1


async def test_the_deadline_commitment_is_accepted_at_each_send(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    first, second, third = [await drafted(explanations, who) for _ in range(3)]
    earlier = await send(explanations, who, [first])

    refused = await explanations.client.post("/v1/submissions", json={"record_ids": [str(second)]}, headers=who.staff)
    problem = assert_problem(refused, 409, "commitment-required")
    assert (problem["kinds"], problem["reason"]) == (["deadline"], "accept-at-each-send")
    # Accepted on its own page, as the workspace does, then sent.
    fresh = await accept(explanations, who.staff, "deadline")
    later = await send(explanations, who, [second])
    # Or accepted with the Send itself, in one request.
    inline = await send(explanations, who, [third], deadline_commitment={"version": 1, "language": "en"})

    deadlines = [next(c for c in s["commitments"] if c["kind"] == "deadline") for s in (earlier, later, inline)]
    assert len({d["id"] for d in deadlines}) == 3, "each submission records its own acceptance"
    assert deadlines[1]["id"] == fresh["id"]
    assert (deadlines[2]["language"], deadlines[2]["responded_by"]) == ("en", who.subject)
    events = await outbox(explanations, tenant, ExplanationSubmitted.event_type)
    assert [next(c["accepted_at"] for c in e["commitments"] if c["kind"] == "deadline") for e in events] == [
        d["responded_at"] for d in deadlines
    ]
    stored = (await explanations.client.get(f"/v1/submissions/{earlier['id']}", headers=who.staff)).json()
    assert [c["id"] for c in stored["commitments"] if c["kind"] == "deadline"] == [deadlines[0]["id"]]


async def test_concurrent_sends_make_one_submission(explanations: Running, issuer: Issuer, tenant: str) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    records = [str(await drafted(explanations, who)) for _ in range(3)]
    responses = await asyncio.gather(
        *(
            explanations.client.post("/v1/submissions", json={"record_ids": records}, headers=who.staff)
            for _ in range(5)
        )
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    assert len(await outbox(explanations, tenant, ExplanationSubmitted.event_type)) == 1
    assert len((await explanations.client.get("/v1/submissions", headers=who.staff)).json()) == 1


async def test_editing_after_sending_is_refused_until_rejected(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    record = await drafted(explanations, who)
    url = f"/v1/records/{record}/explanation"
    sent = await send(explanations, who, [record])
    body = assert_problem(
        await explanations.client.put(url, json=COMPLETE, headers=who.staff), 409, "explanation-not-editable"
    )
    assert body["explanation_status"] == "submitted"
    await deliver(explanations, tenant, pdf_signed(sent))
    body = assert_problem(
        await explanations.client.put(url, json=COMPLETE, headers=who.staff), 409, "explanation-not-editable"
    )
    assert body["explanation_status"] == "under_review"

    reviewer = issuer.headers(tenant, [REVIEWER])
    [explanation_id] = explanation_ids(sent)
    assert (await decide(explanations, reviewer, explanation_id, "reject", "写清楚整改时间")).status_code == 200
    reopened = await explanations.client.put(url, json={**COMPLETE, "violation": "改"}, headers=who.staff)
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["version"]) == ("draft", 2)

    await accept(explanations, who.staff, "deadline")  # accepted at each Send
    again = await signed(explanations, who, [record])
    assert (await decide(explanations, reviewer, explanation_id, "approve")).status_code == 200
    assert again["items"][0]["explanation_id"] == explanation_id
    body = assert_problem(
        await explanations.client.put(url, json=COMPLETE, headers=who.staff), 409, "explanation-not-editable"
    )
    assert body["explanation_status"] == "published"
    published = (await explanations.client.get(url, headers=who.staff)).json()
    assert (published["status"], published["violation"], published["version"]) == ("published", "改", 2)
    assert published["published_at"] is not None
    body = assert_problem(
        await explanations.client.post("/v1/submissions", json={"record_ids": [str(record)]}, headers=who.staff),
        409,
        "already-submitted",
    )
    assert body["records"] == [{"record_id": str(record), "status": "published"}]


async def test_refused_review_decisions(explanations: Running, issuer: Issuer, tenant: str) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    reviewer = issuer.headers(tenant, [REVIEWER])
    record, never_sent = await drafted(explanations, who), await drafted(explanations, who)
    sent = await send(explanations, who, [record])
    [explanation_id] = explanation_ids(sent)

    # Before the signed scan: no approval.
    body = assert_problem(await decide(explanations, reviewer, explanation_id, "approve"), 409, "review-refused")
    assert body["explanation_status"] == "submitted"
    # A rejection says why.
    for comment in (None, "", "  "):
        assert_problem(await decide(explanations, reviewer, explanation_id, "reject", comment), 422, "invalid-input")

    await deliver(explanations, tenant, pdf_signed(sent))
    assert (await decide(explanations, reviewer, explanation_id, "approve")).status_code == 200
    # Approving twice, or rejecting what is published.
    assert_problem(await decide(explanations, reviewer, explanation_id, "approve"), 409, "review-refused")
    assert_problem(await decide(explanations, reviewer, explanation_id, "reject", "晚了"), 409, "review-refused")
    assert len(await outbox(explanations, tenant, ExplanationPublished.event_type)) == 1
    assert await outbox(explanations, tenant, ExplanationRejected.event_type) == []

    # A draft never sent is not for review.
    url = f"/v1/records/{never_sent}/explanation"
    draft_id = (await explanations.client.get(url, headers=who.staff)).json()["id"]
    assert_problem(await decide(explanations, reviewer, draft_id, "approve"), 409, "review-refused")
    assert_problem(await decide(explanations, reviewer, draft_id, "reject", "x"), 409, "review-refused")
    assert_problem(await decide(explanations, reviewer, str(uuid7()), "approve"), 404, "not-found")


async def test_rejecting_twice_is_refused(explanations: Running, issuer: Issuer, tenant: str) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    reviewer = issuer.headers(tenant, [REVIEWER])
    sent = await signed(explanations, who, [await drafted(explanations, who)])
    [explanation_id] = explanation_ids(sent)
    assert (await decide(explanations, reviewer, explanation_id, "reject", "补充材料")).status_code == 200
    body = assert_problem(
        await decide(explanations, reviewer, explanation_id, "reject", "补充材料"), 409, "review-refused"
    )
    assert body["explanation_status"] == "draft"
    assert_problem(await decide(explanations, reviewer, explanation_id, "approve"), 409, "review-refused")
    assert len(await outbox(explanations, tenant, ExplanationRejected.event_type)) == 1


async def test_a_rejection_before_the_signed_scan_stays_a_draft(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    reviewer = issuer.headers(tenant, [REVIEWER])
    first, second = await drafted(explanations, who), await drafted(explanations, who)
    sent = await send(explanations, who, [first, second])
    assert (await decide(explanations, reviewer, explanation_ids(sent)[0], "reject", "与记录不符")).status_code == 200
    await deliver(explanations, tenant, pdf_signed(sent))
    now = await submission(explanations, who, sent["id"])
    assert now["status"] == "signed"
    assert [i["explanation_status"] for i in now["items"]] == ["draft", "under_review"]
    assert (await decide(explanations, reviewer, explanation_ids(sent)[1], "approve")).status_code == 200
    assert (await submission(explanations, who, sent["id"]))["status"] == "reviewed"


async def test_concurrent_decisions(explanations: Running, issuer: Issuer, tenant: str) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    reviewer = issuer.headers(tenant, [REVIEWER])
    sent = await signed(explanations, who, [await drafted(explanations, who) for _ in range(4)])
    ids = explanation_ids(sent)
    # The same explanation approved by several reviewers at once: one wins.
    same = await asyncio.gather(*(decide(explanations, reviewer, ids[0], "approve") for _ in range(4)))
    assert sorted(r.status_code for r in same) == [200, 409, 409, 409]
    # The others decided at once: exactly one of them closes the submission.
    rest = await asyncio.gather(*(decide(explanations, reviewer, i, "approve") for i in ids[1:]))
    assert {r.status_code for r in rest} == {200}
    done = await submission(explanations, who, sent["id"])
    assert done["status"] == "reviewed"
    assert {i["outcome"] for i in done["items"]} == {"published"}
    assert len(await outbox(explanations, tenant, ExplanationPublished.event_type)) == 4


async def test_automated_monitoring_details_travel_with_the_explanation(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    document = document_stored(who.id)
    await deliver(explanations, tenant, document)
    document_id = str(document.document_id)
    record = await drafted(
        explanations, who, record_type="automated_monitoring", monitoring=MONITORING, document_id=document_id
    )
    saved = (await explanations.client.get(f"/v1/records/{record}/explanation", headers=who.staff)).json()
    assert saved["document_id"] == document_id
    # The period keeps the offset it was stated in: the PDF shows the local time of the data.
    assert saved["monitoring"] == MONITORING

    sent = await signed(explanations, who, [record])
    assert sent["items"][0]["document_id"] == document_id
    expected = MONITORING
    assert sent["items"][0]["sent"]["monitoring"] == expected
    [event] = await outbox(explanations, tenant, ExplanationSubmitted.event_type)
    assert event["explanations"][0]["monitoring"] == expected
    reviewer = issuer.headers(tenant, [REVIEWER])
    assert (await decide(explanations, reviewer, explanation_ids(sent)[0], "approve")).status_code == 200
    [published] = await outbox(explanations, tenant, ExplanationPublished.event_type)
    assert published["monitoring"] == expected


async def test_monitoring_details_are_for_automated_monitoring_only(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant)
    record = (await publish(explanations, tenant, record_published(who.id))).record_id
    response = await explanations.client.put(
        f"/v1/records/{record}/explanation", json={**COMPLETE, "monitoring": MONITORING}, headers=who.staff
    )
    assert assert_problem(response, 422, "invalid-input")["errors"][0]["location"] == ["body", "monitoring"]


async def test_redelivered_documents_events_change_nothing(explanations: Running, issuer: Issuer, tenant: str) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    reviewer = issuer.headers(tenant, [REVIEWER])
    sent = await send(explanations, who, [await drafted(explanations, who), await drafted(explanations, who)])
    rendered = envelope(tenant, pdf_rendered(sent), "/bluemap/documents").to_message()
    scan = pdf_signed(sent)
    signed_message = envelope(tenant, scan, "/bluemap/documents").to_message()
    consumer = explanations.service.runtime.consumer
    await consumer.process(rendered)
    await consumer.process(signed_message)
    before = await submission(explanations, who, sent["id"])

    await consumer.process(rendered)
    await consumer.process(signed_message)
    assert await submission(explanations, who, sent["id"]) == before

    # A decision, then the signed scan and the rendering announced again under new event ids
    # (a replay from the documents outbox): nothing goes back.
    ids = explanation_ids(before)
    assert (await decide(explanations, reviewer, ids[0], "approve")).status_code == 200
    assert (await decide(explanations, reviewer, ids[1], "reject", "补充")).status_code == 200
    decided = await submission(explanations, who, sent["id"])
    await deliver(explanations, tenant, scan)
    await consumer.process(rendered)
    assert await submission(explanations, who, sent["id"]) == decided
    assert [i["explanation_status"] for i in decided["items"]] == ["published", "draft"]

    async with explanations.service.runtime.sessionmaker() as session:
        handled = await session.exec(
            select(func.count()).select_from(InboxMessage).where(InboxMessage.tenant_id == tenant)
        )
        # The two records, then the rendering, the signed scan and the signed scan's replay.
        assert handled.one() == 2 + 3


async def test_the_signed_scan_may_be_announced_before_the_rendering(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    sent = await send(explanations, who, [await drafted(explanations, who)])
    await deliver(explanations, tenant, pdf_signed(sent))
    rendered = pdf_rendered(sent)
    await deliver(explanations, tenant, rendered)
    now = await submission(explanations, who, sent["id"])
    assert now["status"] == "signed"
    assert now["documents"]["rendered"]["document_id"] == str(rendered.document_id)
    assert now["items"][0]["explanation_status"] == "under_review"


def scan_rejected(scan: PdfSigned, *, submission_id: UUID | None = None) -> DocumentRejected:
    return DocumentRejected(
        document_id=scan.document_id,
        enterprise_id=scan.enterprise_id,
        kind="signed-explanation",
        record_ids=scan.record_ids,
        submission_id=submission_id or scan.submission_id,
        filename=scan.filename,
        comment="未加盖公章",
        reviewed_by="doc-reviewer",
        rejected_at=scan.signed_at,
    )


async def test_a_refused_signed_scan_takes_the_explanations_out_of_review(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    reviewer = issuer.headers(tenant, [REVIEWER])
    sent = await send(explanations, who, [await drafted(explanations, who), await drafted(explanations, who)])
    await deliver(explanations, tenant, pdf_rendered(sent))
    first_scan, second_scan = pdf_signed(sent), pdf_signed(sent)
    await deliver(explanations, tenant, first_scan)
    # The enterprise replaced the scan; the refusal of the replaced one changes nothing.
    await deliver(explanations, tenant, second_scan)
    await deliver(explanations, tenant, scan_rejected(first_scan))
    now = await submission(explanations, who, sent["id"])
    assert (now["status"], now["documents"]["signed"]["document_id"]) == ("signed", str(second_scan.document_id))
    ids = explanation_ids(now)
    assert (await decide(explanations, reviewer, ids[0], "approve")).status_code == 200

    # Refusing the scan in force: waiting for a new one; the decided explanation stays published.
    await deliver(explanations, tenant, scan_rejected(second_scan))
    now = await submission(explanations, who, sent["id"])
    assert (now["status"], now["documents"]["signed"]) == ("pdf_rendered", None)
    assert [i["explanation_status"] for i in now["items"]] == ["published", "submitted"]
    body = assert_problem(await decide(explanations, reviewer, ids[1], "approve"), 409, "review-refused")
    assert body["explanation_status"] == "submitted"

    third_scan = pdf_signed(sent)
    await deliver(explanations, tenant, third_scan)
    assert (await decide(explanations, reviewer, ids[1], "approve")).status_code == 200
    assert (await submission(explanations, who, sent["id"]))["status"] == "reviewed"


async def test_refused_supporting_documents_are_not_our_concern(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    sent = await signed(explanations, who, [await drafted(explanations, who)])
    supporting = DocumentRejected(
        document_id=uuid7(),
        enterprise_id=who.id,
        kind="supporting",
        filename="整改方案.pdf",
        comment="不清晰",
        reviewed_by="doc-reviewer",
        rejected_at=datetime.now(UTC),
    )
    await deliver(explanations, tenant, supporting)
    await deliver(explanations, tenant, supporting.model_copy(update={"submission_id": UUID(sent["id"])}))
    assert await submission(explanations, who, sent["id"]) == sent


async def test_documents_events_about_no_submission_of_ours_are_ignored(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    sent = await send(explanations, who, [await drafted(explanations, who)])
    unknown = {**sent, "id": str(uuid7())}
    wrong_enterprise = {**sent, "enterprise_id": str(uuid7())}
    for forged in (unknown, wrong_enterprise):
        await deliver(explanations, tenant, pdf_rendered(forged))
        await deliver(explanations, tenant, pdf_signed(forged))
    # The same submission id announced in another tenant.
    await deliver(explanations, f"{tenant}-x", pdf_signed(sent))
    now = await submission(explanations, who, sent["id"])
    assert (now["status"], now["documents"]) == ("sent", {"rendered": None, "signed": None})
    assert now["items"][0]["explanation_status"] == "submitted"
    async with explanations.service.runtime.sessionmaker() as session:
        dead = await session.exec(select(func.count()).select_from(DeadLetter).where(DeadLetter.tenant_id == tenant))
        assert dead.one() == 0, "ignored, not retried into the dead letters"


async def test_the_review_queue_is_oldest_first_paginated_and_filtered(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    reviewer = issuer.headers(tenant, [REVIEWER])
    sent = []
    for _ in range(3):
        who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
        sent.append(await send(explanations, who, [await drafted(explanations, who)]))
    await deliver(explanations, tenant, pdf_signed(sent[1]))
    ids = [s["id"] for s in sent]

    page = (await explanations.client.get("/v1/review/submissions", params={"limit": 2}, headers=reviewer)).json()
    assert [s["id"] for s in page] == ids[:2]
    rest = await explanations.client.get(
        "/v1/review/submissions", params={"limit": 2, "after": page[-1]["id"]}, headers=reviewer
    )
    assert [s["id"] for s in rest.json()] == ids[2:]
    only_signed = await explanations.client.get("/v1/review/submissions", params={"status": "signed"}, headers=reviewer)
    assert [s["id"] for s in only_signed.json()] == [ids[1]]
    two = await explanations.client.get(
        "/v1/review/submissions", params=[("status", "sent"), ("status", "signed")], headers=reviewer
    )
    assert [s["id"] for s in two.json()] == ids
    by_enterprise = await explanations.client.get(
        "/v1/review/submissions", params={"enterprise_id": sent[2]["enterprise_id"]}, headers=reviewer
    )
    assert [s["id"] for s in by_enterprise.json()] == [ids[2]]
    detail = await explanations.client.get(f"/v1/review/submissions/{ids[1]}", headers=reviewer)
    assert detail.json() == only_signed.json()[0]
    assert_problem(
        await explanations.client.get("/v1/review/submissions", params={"status": "lost"}, headers=reviewer),
        422,
        "invalid-input",
    )


async def test_a_send_too_large_for_one_event_is_refused_with_a_problem_and_nothing_sent(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    """The broker takes about 1 MiB a message: a larger ExplanationSubmitted would stick in the outbox."""
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    longest = "整改措施说明。" * 714  # 4,998 characters, under the 5,000 a field holds: ~45 KB of UTF-8 a record
    fields = {"violation": longest, "reasons": longest, "corrective_actions": longest}
    record_ids = [await drafted(explanations, who, **fields) for _ in range(24)]
    response = await explanations.client.post(
        "/v1/submissions", json={"record_ids": [str(r) for r in record_ids]}, headers=who.staff
    )
    body = assert_problem(response, 413, "event-too-large")
    assert "fewer records" in body["detail"]
    assert await outbox(explanations, tenant, ExplanationSubmitted.event_type) == []
    assert {status for status, _ in (await statuses(explanations, who)).values()} == {"saved"}
    # Fewer records at once go through.
    await send(explanations, who, record_ids[:1])
