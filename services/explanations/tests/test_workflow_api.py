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
    ExplanationPublishedV2,
    ExplanationRejectedV2,
    ExplanationSubmitted,
    SubmissionReviewed,
    SubmissionSigned,
)
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging.models import DeadLetter, InboxMessage
from bluemap_shared.testing import TokenIssuer as Issuer

pytestmark = pytest.mark.integration


async def send(app: Running, who: Enterprise, record_ids: list[UUID], **extra: Any) -> dict[str, Any]:
    """A Send; when the acceptance in hand backed an earlier Send, this one carries a new one (each Send's own)."""
    body = {"record_ids": [str(r) for r in record_ids], **extra}
    response = await app.client.post("/v1/submissions", json=body, headers=who.staff)
    if response.status_code == 409 and response.json().get("reason") == "accept-at-each-send":
        body["deadline_commitment"] = {"version": 1, "language": "zh"}
        response = await app.client.post("/v1/submissions", json=body, headers=who.staff)
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


Verdict = tuple[str, str | None]


async def review(
    app: Running,
    headers: dict[str, str],
    body: dict[str, Any],
    verdicts: dict[str, Verdict] | None = None,
    *,
    scan: Verdict | None = ("approved", None),
    comment: str | None = None,
) -> Any:
    """One review of the whole submission: every explanation approved unless told, the scan in force as told."""
    verdicts = verdicts or {}
    command: dict[str, Any] = {
        "explanations": [
            {"explanation_id": i["explanation_id"], "decision": d, "comment": c}
            for i in body["items"]
            if i["outcome"] == "pending"
            for d, c in [verdicts.get(i["explanation_id"], ("approved", None))]
        ],
        "comment": comment,
    }
    signed_scan = body["documents"]["signed"]
    if scan is not None and signed_scan is not None:
        command["scan"] = {"document_id": signed_scan["document_id"], "decision": scan[0], "comment": scan[1]}
    return await app.client.post(f"/v1/submissions/{body['id']}/review", json=command, headers=headers)


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

    [announced] = await outbox(explanations, tenant, SubmissionSigned.event_type)
    assert (announced["submission_id"], announced["signed_document_id"]) == (sent["id"], str(scan.document_id))
    assert sorted(announced["record_ids"]) == sorted([str(first), str(second)])

    # One review decides both explanations and the scan: one rejected returns the whole submission.
    admin = issuer.headers(tenant, [ADMIN], subject="admin-1")
    returned = await review(
        explanations, admin, now, {approve_id: ("approved", "同意公开"), reject_id: ("rejected", "请补充整改照片")}
    )
    assert returned.status_code == 200, returned.text
    done = returned.json()
    assert (done["status"], done["reviewed_by"], done["scan_decision"]) == ("returned", "admin-1", "approved")
    assert done["reviewed_at"] is not None
    assert [(i["outcome"], [d["decision"] for d in i["decisions"]]) for i in done["items"]] == [
        ("rejected", ["rejected"]),
        ("returned", ["approved"]),
    ]
    assert done["items"][0]["decisions"][0]["comment"] == "请补充整改照片"
    assert {i["explanation_status"] for i in done["items"]} == {"draft"}, "every explanation goes back"
    assert await outbox(explanations, tenant, ExplanationPublishedV2.event_type) == [], "nothing rejected is public"
    [rejection] = await outbox(explanations, tenant, ExplanationRejectedV2.event_type)
    assert (rejection["explanation_id"], rejection["comment"], rejection["reviewed_by"]) == (
        reject_id,
        "请补充整改照片",
        "admin-1",
    )
    [reviewed] = await outbox(explanations, tenant, SubmissionReviewed.event_type)
    assert (reviewed["outcome"], reviewed["signed_document_id"], reviewed["scan_decision"]) == (
        "returned",
        str(scan.document_id),
        "approved",
    )
    assert [(i["explanation_id"], i["decision"]) for i in reviewed["items"]] == [
        (reject_id, "rejected"),
        (approve_id, "approved"),
    ]
    assert await statuses(explanations, who) == {
        str(first): ("saved", "同意公开"),
        str(second): ("rejected", "请补充整改照片"),
    }
    assert (await explanations.client.get("/v1/review/submissions", headers=reviewer)).json() == []
    history = await explanations.client.get("/v1/review/submissions", params={"status": "returned"}, headers=reviewer)
    assert [s["id"] for s in history.json()] == [sent["id"]]
    # Decided once: the same review again is refused.
    assert_problem(await review(explanations, reviewer, now), 409, "review-refused")

    # Returned: editable again and sent anew as a new submission (new PDF, new scan), then published.
    url = f"/v1/records/{second}/explanation"
    fixed = await explanations.client.put(url, json={**COMPLETE, "reasons": "补充：附整改照片。"}, headers=who.staff)
    assert fixed.status_code == 200, fixed.text
    assert (await statuses(explanations, who))[str(second)] == ("rejected", "请补充整改照片")
    again = await send(explanations, who, [second, first])
    assert again["id"] != sent["id"]
    assert again["items"][0]["sent"]["reasons"] == "补充：附整改照片。"
    old = await submission(explanations, who, sent["id"])
    assert old["items"][0]["sent"]["reasons"] == COMPLETE["reasons"], "what was sent stays as it was sent"
    await deliver(explanations, tenant, pdf_rendered(again, number="BM-2020-000002"))
    await deliver(explanations, tenant, pdf_signed(again))
    published = await review(explanations, reviewer, await submission(explanations, who, again["id"]))
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"
    public = await outbox(explanations, tenant, ExplanationPublishedV2.event_type)
    assert sorted(p["record_id"] for p in public) == sorted([str(first), str(second)])
    assert {p["submission_id"] for p in public} == {again["id"]}
    assert public[0]["verification_code"] == "ab" * 32
    # When it was sent: the portal's responsiveness dashboard counts the operator's review time from it.
    assert {datetime.fromisoformat(p["submitted_at"]) for p in public} == {
        datetime.fromisoformat(again["submitted_at"])
    }
    assert {status for status, _ in (await statuses(explanations, who)).values()} == {"published"}
    mine = (await explanations.client.get("/v1/submissions", headers=who.staff)).json()
    assert [s["id"] for s in mine] == [sent["id"], again["id"]]
    assert_problem(
        await explanations.client.put(f"/v1/records/{first}/explanation", json=COMPLETE, headers=who.staff),
        409,
        "explanation-not-editable",
    )


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
    await signed_after(explanations, who, sent)
    body = assert_problem(
        await explanations.client.post("/v1/submissions", json={"record_ids": [str(first)]}, headers=who.staff),
        409,
        "already-submitted",
    )
    assert body["records"] == [{"record_id": str(first), "status": "under_review"}]
    assert len(await outbox(explanations, tenant, ExplanationSubmitted.event_type)) == 1


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


async def test_editing_after_sending_is_refused_until_returned(
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
    now = await signed_after(explanations, who, sent)
    body = assert_problem(
        await explanations.client.put(url, json=COMPLETE, headers=who.staff), 409, "explanation-not-editable"
    )
    assert body["explanation_status"] == "under_review"

    reviewer = issuer.headers(tenant, [REVIEWER])
    [explanation_id] = explanation_ids(sent)
    rejected = await review(explanations, reviewer, now, {explanation_id: ("rejected", "写清楚整改时间")})
    assert rejected.status_code == 200, rejected.text
    reopened = await explanations.client.put(url, json={**COMPLETE, "violation": "改"}, headers=who.staff)
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["version"]) == ("draft", 2)

    again = await signed(explanations, who, [record])
    assert (await review(explanations, reviewer, again)).status_code == 200
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


async def signed_after(app: Running, who: Enterprise, sent: dict[str, Any]) -> dict[str, Any]:
    await deliver(app, who.tenant, pdf_rendered(sent))
    await deliver(app, who.tenant, pdf_signed(sent))
    return await submission(app, who, sent["id"])


async def test_refused_reviews(explanations: Running, issuer: Issuer, tenant: str) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    reviewer = issuer.headers(tenant, [REVIEWER])
    first, second = await drafted(explanations, who), await drafted(explanations, who)
    sent = await send(explanations, who, [first, second])
    ids = explanation_ids(sent)
    await deliver(explanations, tenant, pdf_rendered(sent))
    rendered = await submission(explanations, who, sent["id"])

    # While the signed scan is pending, no explanation can be approved.
    body = assert_problem(await review(explanations, reviewer, rendered), 409, "review-refused")
    assert (body["reason"], body["submission_status"]) == ("scan-pending", "pdf_rendered")
    # A rejection says why; every explanation waiting is decided, once.
    for comment in (None, "", "  "):
        bad = await review(explanations, reviewer, rendered, {ids[0]: ("rejected", comment)}, scan=None)
        assert_problem(bad, 422, "invalid-input")
    half = {"explanations": [{"explanation_id": ids[0], "decision": "rejected", "comment": "x"}]}
    response = await explanations.client.post(f"/v1/submissions/{sent['id']}/review", json=half, headers=reviewer)
    assert assert_problem(response, 422, "invalid-input")["reason"] == "decisions-incomplete"
    twice = {"explanations": [half["explanations"][0]] * 2}
    response = await explanations.client.post(f"/v1/submissions/{sent['id']}/review", json=twice, headers=reviewer)
    assert_problem(response, 422, "invalid-input")

    now = await signed_after(explanations, who, sent)
    # Deciding a scan that is not the one in force (a newer upload came meanwhile).
    stale = {**now, "documents": {**now["documents"], "signed": {"document_id": str(uuid7())}}}
    body = assert_problem(await review(explanations, reviewer, stale), 409, "review-refused")
    assert body["reason"] == "scan-changed"
    # Nothing was written by the refused reviews.
    assert await outbox(explanations, tenant, SubmissionReviewed.event_type) == []
    assert await submission(explanations, who, sent["id"]) == now

    assert (await review(explanations, reviewer, now)).status_code == 200
    assert_problem(await review(explanations, reviewer, now), 409, "review-refused")
    assert len(await outbox(explanations, tenant, ExplanationPublishedV2.event_type)) == 2
    assert await outbox(explanations, tenant, ExplanationRejectedV2.event_type) == []
    response = await explanations.client.post(f"/v1/submissions/{uuid7()}/review", json=half, headers=reviewer)
    assert_problem(response, 404, "not-found")
    staff_try = await review(explanations, who.staff, now)
    assert staff_try.status_code == 403, staff_try.text


async def test_a_submission_may_be_returned_before_its_signed_scan(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    reviewer = issuer.headers(tenant, [REVIEWER])
    first, second = await drafted(explanations, who), await drafted(explanations, who)
    sent = await send(explanations, who, [first, second])
    ids = explanation_ids(sent)
    # Not before its PDF exists.
    early = await review(explanations, reviewer, sent, {ids[0]: ("rejected", "与记录不符")}, scan=None)
    assert assert_problem(early, 409, "review-refused")["submission_status"] == "sent"
    await deliver(explanations, tenant, pdf_rendered(sent))
    rendered = await submission(explanations, who, sent["id"])
    returned = await review(explanations, reviewer, rendered, {ids[0]: ("rejected", "与记录不符")}, scan=None)
    assert returned.status_code == 200, returned.text
    assert (returned.json()["status"], returned.json()["scan_decision"]) == ("returned", None)
    # A scan uploaded meanwhile changes nothing: the submission is closed.
    await deliver(explanations, tenant, pdf_signed(sent))
    now = await submission(explanations, who, sent["id"])
    assert now["status"] == "returned"
    assert [i["explanation_status"] for i in now["items"]] == ["draft", "draft"]
    assert await outbox(explanations, tenant, SubmissionSigned.event_type) == []


async def test_concurrent_reviews_of_one_submission(explanations: Running, issuer: Issuer, tenant: str) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    reviewer = issuer.headers(tenant, [REVIEWER])
    sent = await signed(explanations, who, [await drafted(explanations, who) for _ in range(4)])
    ids = explanation_ids(sent)
    # Several reviewers at once, one approving everything, the others rejecting one each: one wins.
    attempts = [review(explanations, reviewer, sent)] + [
        review(explanations, reviewer, sent, {i: ("rejected", "补充")}) for i in ids[1:]
    ]
    outcomes = await asyncio.gather(*attempts)
    assert sorted(r.status_code for r in outcomes) == [200, 409, 409, 409]
    done = await submission(explanations, who, sent["id"])
    assert done["status"] in ("published", "returned")
    assert len(await outbox(explanations, tenant, SubmissionReviewed.event_type)) == 1
    published = len(await outbox(explanations, tenant, ExplanationPublishedV2.event_type))
    assert published == (4 if done["status"] == "published" else 0)


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
    assert (await review(explanations, reviewer, sent)).status_code == 200
    [published] = await outbox(explanations, tenant, ExplanationPublishedV2.event_type)
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
    assert len(await outbox(explanations, tenant, SubmissionSigned.event_type)) == 1

    # The review, then the signed scan and the rendering announced again under new event ids
    # (a replay from the documents outbox): nothing goes back.
    ids = explanation_ids(before)
    assert (await review(explanations, reviewer, before, {ids[1]: ("rejected", "补充")})).status_code == 200
    decided = await submission(explanations, who, sent["id"])
    await deliver(explanations, tenant, scan)
    await consumer.process(rendered)
    assert await submission(explanations, who, sent["id"]) == decided
    assert [i["explanation_status"] for i in decided["items"]] == ["draft", "draft"]

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
    scan = pdf_signed(sent)
    await deliver(explanations, tenant, scan)
    # Documents' events are keyed by document: the scan's may come first; it waits for the PDF's.
    waiting = await submission(explanations, who, sent["id"])
    assert (waiting["status"], waiting["items"][0]["explanation_status"]) == ("sent", "submitted")
    rendered = pdf_rendered(sent)
    await deliver(explanations, tenant, rendered)
    now = await submission(explanations, who, sent["id"])
    assert now["status"] == "signed"
    assert now["documents"]["rendered"]["document_id"] == str(rendered.document_id)
    assert now["documents"]["signed"]["document_id"] == str(scan.document_id)
    assert now["items"][0]["explanation_status"] == "under_review"
    assert len(await outbox(explanations, tenant, SubmissionSigned.event_type)) == 1


async def test_a_refused_signed_scan_waits_for_another_of_the_same_pdf(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    reviewer = issuer.headers(tenant, [REVIEWER])
    sent = await send(explanations, who, [await drafted(explanations, who), await drafted(explanations, who)])
    await deliver(explanations, tenant, pdf_rendered(sent))
    first_scan, second_scan = pdf_signed(sent), pdf_signed(sent)
    await deliver(explanations, tenant, first_scan)
    # A reviewer opens it; the enterprise replaces the scan: back to signed, the newer scan in force.
    opened = await explanations.client.post(f"/v1/review/submissions/{sent['id']}/open", headers=reviewer)
    assert opened.json()["status"] == "under_review", opened.text
    await deliver(explanations, tenant, second_scan)
    now = await submission(explanations, who, sent["id"])
    assert (now["status"], now["documents"]["signed"]["document_id"]) == ("signed", str(second_scan.document_id))

    # Every explanation fine, the scan not: waiting for a new scan of the same PDF.
    refused = await review(explanations, reviewer, now, scan=("rejected", "未加盖公章"))
    assert refused.status_code == 200, refused.text
    now = refused.json()
    assert (now["status"], now["documents"]["signed"], now["scan_comment"]) == ("pdf_rendered", None, "未加盖公章")
    assert [i["explanation_status"] for i in now["items"]] == ["submitted", "submitted"]
    assert {i["outcome"] for i in now["items"]} == {"pending"}
    [reviewed] = await outbox(explanations, tenant, SubmissionReviewed.event_type)
    assert (reviewed["outcome"], reviewed["signed_document_id"]) == ("scan_refused", str(second_scan.document_id))
    assert_problem(await review(explanations, reviewer, now, scan=None), 409, "review-refused")

    await deliver(explanations, tenant, pdf_signed(sent))
    assert (await review(explanations, reviewer, await submission(explanations, who, sent["id"]))).status_code == 200
    assert (await submission(explanations, who, sent["id"]))["status"] == "published"


async def test_documents_rejections_are_not_our_concern(explanations: Running, issuer: Issuer, tenant: str) -> None:
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


async def test_a_scan_refused_by_documents_before_the_upgrade_still_waits_for_another(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    who = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    reviewer = issuer.headers(tenant, [REVIEWER])
    sent = await send(explanations, who, [await drafted(explanations, who)])
    now = await signed_after(explanations, who, sent)

    def refusal(document_id: str) -> DocumentRejected:
        return DocumentRejected(
            document_id=UUID(document_id),
            enterprise_id=who.id,
            kind="signed-explanation",
            submission_id=UUID(sent["id"]),
            filename="盖章版.pdf",
            comment="未加盖公章",
            reviewed_by="doc-reviewer",
            rejected_at=datetime.now(UTC),
        )

    # A v1 refusal, decided in documents before the upgrade, of the scan in force: waiting for another.
    await deliver(explanations, tenant, refusal(now["documents"]["signed"]["document_id"]))
    refused = await submission(explanations, who, sent["id"])
    assert (refused["status"], refused["documents"]["signed"], refused["scan_comment"]) == (
        "pdf_rendered",
        None,
        "未加盖公章",
    )
    assert refused["items"][0]["explanation_status"] == "submitted"

    # Since the upgrade only this service refuses scans; documents' echo of that changes nothing.
    again = await signed_after(explanations, who, sent)
    scan_id = again["documents"]["signed"]["document_id"]
    assert (await review(explanations, reviewer, again, scan=("rejected", "模糊"))).status_code == 200
    after_review = await submission(explanations, who, sent["id"])
    await deliver(explanations, tenant, refusal(scan_id))
    assert await submission(explanations, who, sent["id"]) == after_review


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
    await deliver(explanations, tenant, pdf_rendered(sent[1]))
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
