"""The disclosure workflow on real PostgreSQL: render on Send, verify, signed scans, supporting documents, review."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from documents_testing import (
    ENTERPRISE_NAME,
    ENTERPRISE_NAME_EN,
    MAX_UPLOAD_BYTES,
    PUBLIC_BASE_URL,
    SOURCE_TITLE,
    VIOLATION,
    Running,
    additional_actions_pdf,
    deliver,
    embedded_file_pdf,
    encrypted_pdf,
    events_of,
    file_attachment_annotation_pdf,
    invoice_pdf,
    javascript_name_tree_pdf,
    javascript_open_action_pdf,
    path_and_query,
    pdf_text,
    real_pdf,
    record_published,
    scan_of,
    signed_copy,
    submitted,
    truncated_pdf,
    zero_page_pdf,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from test_documents_api import assert_problem

from bluemap_documents.documents import capabilities
from bluemap_documents.documents.models import Document
from bluemap_documents.settings import DocumentsSettings
from bluemap_documents.submissions.canonical import canonical_content, document_number, verification_code
from bluemap_documents.submissions.models import Submission
from bluemap_shared.auth import ADMIN, REVIEWER
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import (
    DocumentPublished,
    DocumentRejected,
    DocumentStored,
    ExplanationSubmitted,
    ItemDecision,
    PdfRendered,
    PdfSigned,
    SubmissionReviewed,
)
from bluemap_shared.ids import uuid7
from bluemap_shared.testing import TokenIssuer as Issuer

pytestmark = pytest.mark.integration


def settings_of(app: Running) -> DocumentsSettings:
    settings = app.service.runtime.settings
    assert isinstance(settings, DocumentsSettings)
    return settings


async def rendered(app: Running, tenant: str, event: ExplanationSubmitted) -> dict[str, Any]:
    """Deliver a Send, render it, return its PdfRendered payload."""
    await deliver(app, event, tenant)
    assert await app.service.render_worker.render_due() >= 1
    [payload] = [e for e in await events_of(app, tenant, PdfRendered) if e["submission_id"] == str(event.submission_id)]
    return payload


async def upload_scan(app: Running, headers: dict[str, str], submission_id: Any, data: bytes, name: str = "盖章.pdf"):  # type: ignore[no-untyped-def]
    return await app.client.post(
        f"/v1/submissions/{submission_id}/signed", files={"file": (name, data, "application/pdf")}, headers=headers
    )


async def rendered_pdf(app: Running, headers: dict[str, str], submission_id: Any) -> bytes:
    """The submission's rendered PDF, through its short-lived download link."""
    state = await app.client.get(f"/v1/submissions/{submission_id}", headers=headers)
    assert state.status_code == 200, state.text
    response = await app.client.get(path_and_query(state.json()["download_url"]))
    assert response.status_code == 200, response.text
    return response.content


async def signed_scan(app: Running, headers: dict[str, str], submission_id: Any) -> dict[str, Any]:
    """Upload a copy of the submission's own PDF (it matches: its number and code on every page)."""
    response = await upload_scan(
        app, headers, submission_id, signed_copy(await rendered_pdf(app, headers, submission_id))
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def reviewed(
    event: ExplanationSubmitted,
    scan_id: Any,
    outcome: str,
    *,
    scan_comment: str | None = None,
    rejected: int | None = None,
    by: str = "reviewer-1",
) -> SubmissionReviewed:
    """Explanations' whole-submission review, as documents receives it."""
    return SubmissionReviewed.model_validate(
        {
            "submission_id": event.submission_id,
            "enterprise_id": event.enterprise.enterprise_id,
            "outcome": outcome,
            "signed_document_id": scan_id,
            "scan_decision": "rejected" if outcome == "scan_refused" else "approved",
            "scan_comment": scan_comment,
            "items": [
                ItemDecision(
                    explanation_id=item.explanation_id,
                    record_id=item.record_id,
                    decision="rejected" if position == rejected else "approved",
                    comment="不符" if position == rejected else None,
                )
                for position, item in enumerate(event.explanations)
            ],
            "reviewed_by": by,
            "reviewed_at": utcnow(),
        }
    )


async def count(app: Running, query: Any) -> int:
    async with app.service.runtime.sessionmaker() as session:
        return int((await session.exec(query)).one())


# ---------------------------------------------------------------- rendering


async def test_a_chinese_submission_renders_a_verifiable_pdf(workflow: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    event = submitted(enterprise)
    payload = await rendered(workflow, tenant, event)

    number = payload["document_number"]
    assert re.fullmatch(rf"BM-{tenant.upper().replace('-', '')}-20260302-[0-9A-HJKMNP-TV-Z]{{6}}", number)
    code = payload["verification_code"]
    assert code == verification_code(canonical_content(event, number))
    assert payload["language"] == "zh"
    assert payload["enterprise_id"] == str(enterprise)

    # The capability URL downloads it without a token.
    url = payload["download_url"]
    assert url.startswith(f"{PUBLIC_BASE_URL}/api/documents/v1/documents/{payload['document_id']}/content?")
    response = await workflow.client.get(path_and_query(url))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    data = response.content
    assert data.startswith(b"%PDF-")
    assert payload["size"] == len(data)

    # Real CJK fonts: the text extracts as Chinese characters, not boxes; the code is printed.
    text = pdf_text(data)
    flat = re.sub(r"\s+", "", text)
    for expected in (
        ENTERPRISE_NAME,
        ENTERPRISE_NAME_EN.replace(" ", ""),
        SOURCE_TITLE,
        "二氧化硫",
        "企业公章",
        number,
    ):
        assert expected in flat, expected
    assert code in flat
    # Escaped, not interpreted: the tags of the enterprise's text are printed as typed.
    assert "<b>活性炭</b>" in flat
    assert VIOLATION.replace(" ", "") in flat
    assert "第1页" in flat

    [stored] = [
        e for e in await events_of(workflow, tenant, DocumentStored) if e["document_id"] == payload["document_id"]
    ]
    assert stored["kind"] == "public-explanation"
    assert stored["submission_id"] == str(event.submission_id)
    assert stored["record_ids"] == [str(item.record_id) for item in event.explanations]

    staff = issuer.staff(tenant, enterprise)
    state = (await workflow.client.get(f"/v1/submissions/{event.submission_id}", headers=staff)).json()
    assert (state["status"], state["document_number"], state["verification_code"]) == ("rendered", number, code)
    assert (await workflow.client.get(path_and_query(state["download_url"]))).content == data


async def test_an_english_submission_renders_in_english(workflow: Running, tenant: str) -> None:
    payload = await rendered(workflow, tenant, submitted(uuid4(), language="en", monitoring=False))
    data = (await workflow.client.get(path_and_query(payload["download_url"]))).content
    text = re.sub(r"\s+", " ", pdf_text(data))
    assert "Public Explanation of Environmental Records" in text
    assert "Official seal of the enterprise" in text
    assert "Page 1 of" in text
    assert ENTERPRISE_NAME in text.replace(" ", "")


async def test_the_capability_url_refuses_tampering_and_expiry(workflow: Running, tenant: str) -> None:
    payload = await rendered(workflow, tenant, submitted(uuid4()))
    url = path_and_query(payload["download_url"])
    document_id = UUID(payload["document_id"])
    signature = re.search(r"signature=([0-9a-f]+)", url)[1]  # type: ignore[index]
    other = await rendered(workflow, tenant, submitted(uuid4()))

    tampered = {
        "signature": url.replace(signature, ("0" if signature[0] != "0" else "1") + signature[1:]),
        "expiry pushed": re.sub(r"expires=(\d+)", lambda m: f"expires={int(m[1]) + 3600}", url),
        "other document": url.replace(str(document_id), other["document_id"]),
        "inline instead": url + "&disposition=inline",
        "no expiry": re.sub(r"expires=\d+&", "", url),
    }
    for what, bad in tampered.items():
        problem = assert_problem(await workflow.client.get(bad), 403, "capability-refused")
        assert problem["reason"] == "invalid-signature", what

    key = settings_of(workflow).signing_key
    past = utcnow() - timedelta(seconds=1)
    expired = capabilities.content_url("", key, document_id, past)
    problem = assert_problem(await workflow.client.get(expired), 403, "capability-refused")
    assert problem["reason"] == "expired"
    # Signed with another key: worthless.
    foreign = capabilities.content_url("", b"not the service's key", document_id, utcnow() + timedelta(hours=1))
    assert_problem(await workflow.client.get(foreign), 403, "capability-refused")
    # A valid signature for a document that does not exist.
    missing = capabilities.content_url("", key, uuid7(), utcnow() + timedelta(hours=1))
    assert_problem(await workflow.client.get(missing), 404, "not-found")


async def test_a_link_signed_until_2100_is_refused(workflow: Running, tenant: str) -> None:
    """The server caps a link's lifetime: whoever holds the key cannot hand out a link that never expires."""
    payload = await rendered(workflow, tenant, submitted(uuid4()))
    document_id = UUID(payload["document_id"])
    key = settings_of(workflow).signing_key
    forever = capabilities.content_url("", key, document_id, datetime(2100, 1, 1, tzinfo=UTC))
    problem = assert_problem(await workflow.client.get(forever), 403, "capability-refused")
    assert problem["reason"] == "too-long"
    # The link the service issued itself still works.
    assert (await workflow.client.get(path_and_query(payload["download_url"]))).status_code == 200


async def test_a_redelivered_submission_renders_once(workflow: Running, tenant: str) -> None:
    event = submitted(uuid4())
    first = await deliver(workflow, event, tenant)
    await deliver(workflow, first)  # the same message again: the inbox skips it
    await deliver(workflow, event, tenant)  # the same Send under a new event id: the submission is known
    assert await workflow.service.render_worker.render_due() == 1
    await deliver(workflow, first)
    await deliver(workflow, event, tenant)
    assert await workflow.service.render_worker.render_due() == 0

    assert await count(workflow, select(func.count()).where(col(Submission.id) == event.submission_id)) == 1
    documents = select(func.count()).where(
        col(Document.submission_id) == event.submission_id, col(Document.kind) == "public-explanation"
    )
    assert await count(workflow, documents) == 1
    renders = [
        e for e in await events_of(workflow, tenant, PdfRendered) if e["submission_id"] == str(event.submission_id)
    ]
    assert len(renders) == 1

    # The unique (tenant, submission, kind) index refuses a second rendered document even if the code tried.
    async with workflow.service.runtime.sessionmaker() as session:
        original = (
            await session.exec(select(Document).where(col(Document.submission_id) == event.submission_id))
        ).one()
        duplicate = Document.model_validate({**original.model_dump(), "id": uuid7()})
        session.add(duplicate)
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_a_render_that_fails_is_retried_then_given_up(workflow: Running, tenant: str) -> None:
    event = submitted(uuid4())
    await deliver(workflow, event, tenant)
    worker = workflow.service.render_worker
    original = workflow.service.renderer.render

    async def broken(*args: Any) -> Any:
        raise RuntimeError("fonts unavailable")

    workflow.service.renderer.render = broken  # type: ignore[method-assign]
    try:
        assert await worker.render_due() == 1
    finally:
        workflow.service.renderer.render = original  # type: ignore[method-assign]
    async with workflow.service.runtime.sessionmaker() as session:
        submission = await session.get(Submission, event.submission_id)
        assert submission is not None
        assert (submission.render_state, submission.render_attempts) == ("pending", 1)
        assert "fonts unavailable" in (submission.last_error or "")
        assert submission.next_render_at > utcnow()  # backoff: not due at once
        submission.next_render_at = utcnow()
        session.add(submission)
        await session.commit()
    assert await worker.render_due() == 1
    async with workflow.service.runtime.sessionmaker() as session:
        submission = await session.get(Submission, event.submission_id)
        assert submission is not None
        assert (submission.render_state, submission.last_error) == ("rendered", None)


async def test_the_live_render_loop_renders_after_the_commit(fs_documents: Running, tenant: str) -> None:
    from bluemap_shared.testing import eventually

    event = submitted(uuid4())
    await deliver(fs_documents, event, tenant)

    async def rendered_event() -> list[dict[str, Any]]:
        return await events_of(fs_documents, tenant, PdfRendered)

    [payload] = await eventually(rendered_event, timeout=30)
    assert payload["submission_id"] == str(event.submission_id)


# ---------------------------------------------------------------- public verification


async def test_verify_tells_a_genuine_code_and_where_it_stands(workflow: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    event = submitted(enterprise)
    payload = await rendered(workflow, tenant, event)
    code = payload["verification_code"]

    async def verified() -> dict[str, Any]:
        response = await workflow.client.get(f"/v1/verify/{code}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    body = await verified()
    assert body == {
        "verification_code": code,
        "valid": True,
        "document_number": payload["document_number"],
        "enterprise_name": ENTERPRISE_NAME,
        "enterprise_name_en": ENTERPRISE_NAME_EN,
        "language": "zh",
        "date": "2026-03-02",
        "status": "rendered",
    }
    assert (await workflow.client.get(f"/v1/verify/{code.upper()}")).json()["status"] == "rendered"

    staff = issuer.staff(tenant, enterprise)
    scan = await signed_scan(workflow, staff, event.submission_id)
    assert (await verified())["status"] == "signed"
    await deliver(workflow, reviewed(event, scan["id"], "scan_refused", scan_comment="公章不清晰"), tenant)
    assert (await verified())["status"] == "rendered"
    scan = await signed_scan(workflow, staff, event.submission_id)
    await deliver(workflow, reviewed(event, scan["id"], "published"), tenant)
    assert (await verified())["status"] == "published"
    assert_problem(await workflow.client.get(f"/v1/verify/{'0' * 64}"), 404, "not-found")
    for bad in ("xyz", "g" * 64, code[:-1]):
        problem = assert_problem(await workflow.client.get(f"/v1/verify/{bad}"), 422, "invalid-input")
        assert problem["reason"] == "invalid-code"


# ---------------------------------------------------------------- signed scans (STEP 8-10)


async def test_uploading_before_the_pdf_is_rendered_is_409(workflow: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    event = submitted(enterprise)
    await deliver(workflow, event, tenant)
    problem = assert_problem(await upload_scan(workflow, staff, event.submission_id, real_pdf()), 409, "conflict")
    assert problem["reason"] == "not-rendered"
    assert await events_of(workflow, tenant, PdfSigned) == []
    # Before Send there is no submission at all.
    assert_problem(await upload_scan(workflow, staff, uuid7(), real_pdf()), 404, "not-found")

    await workflow.service.render_worker.render_due()
    assert (await signed_scan(workflow, staff, event.submission_id))["status"] == "pending"


async def test_the_signed_scan_waits_for_review_and_a_new_upload_replaces_it(
    workflow: Running, issuer: Issuer, tenant: str
) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise, subject="li-si")
    event = submitted(enterprise)
    await rendered(workflow, tenant, event)

    first = await signed_scan(workflow, staff, event.submission_id)
    assert (first["kind"], first["status"], first["pages"], first["filename"]) == (
        "signed-explanation",
        "pending",
        2,
        "盖章.pdf",
    )
    assert first["record_ids"] == [str(item.record_id) for item in event.explanations]
    second = await signed_scan(workflow, staff, event.submission_id)

    signed = await events_of(workflow, tenant, PdfSigned)
    assert [e["document_id"] for e in signed] == [first["id"], second["id"]]
    assert signed[0]["record_ids"] == first["record_ids"]
    assert (signed[0]["uploaded_by"], signed[0]["pages"], signed[0]["submission_id"]) == (
        "li-si",
        2,
        str(event.submission_id),
    )
    assert (await workflow.client.get(f"/v1/documents/{first['id']}", headers=staff)).json()["status"] == "superseded"

    reviewer = issuer.headers(tenant, [REVIEWER])
    queue = (await workflow.client.get("/v1/review/documents", headers=reviewer)).json()
    assert [item["id"] for item in queue] == [second["id"]]
    # A signed scan is decided with its submission, in explanations: not here.
    for action, body in (("approve", {}), ("reject", {"comment": "x"})):
        problem = assert_problem(
            await workflow.client.post(f"/v1/review/documents/{second['id']}/{action}", json=body, headers=reviewer),
            409,
            "conflict",
        )
        assert problem["reason"] == "decided-with-submission"
    assert await events_of(workflow, tenant, DocumentPublished) == []

    # Explanations' review published the submission: documents publishes the scan in force.
    review = reviewed(event, second["id"], "published", scan_comment="同意公开")
    await deliver(workflow, review, tenant)
    await deliver(workflow, review, tenant)  # a replay under a new event id publishes nothing more
    [published] = await events_of(workflow, tenant, DocumentPublished)
    assert (published["document_id"], published["kind"], published["comment"]) == (
        second["id"],
        "signed-explanation",
        "同意公开",
    )
    assert published["verification_code"] == (await rendered_code(workflow, tenant, event))
    assert published["record_ids"] == first["record_ids"]
    assert (await workflow.client.get(f"/v1/documents/{second['id']}", headers=staff)).json()["status"] == "published"
    late = assert_problem(await upload_scan(workflow, staff, event.submission_id, real_pdf()), 409, "conflict")
    assert late["reason"] == "published"

    # Published: anyone may download it; the replaced scan stays private.
    public = await workflow.client.get(f"/v1/public/documents/{second['id']}/content")
    assert public.status_code == 200
    assert public.content.startswith(b"%PDF-")
    preview = await workflow.client.get(
        f"/v1/public/documents/{second['id']}/content", params={"disposition": "inline"}
    )
    assert preview.status_code == 200
    assert preview.headers["content-disposition"].startswith("inline")
    assert_problem(await workflow.client.get(f"/v1/public/documents/{first['id']}/content"), 404, "not-found")


async def rendered_code(app: Running, tenant: str, event: ExplanationSubmitted) -> str:
    [payload] = [e for e in await events_of(app, tenant, PdfRendered) if e["submission_id"] == str(event.submission_id)]
    return str(payload["verification_code"])


async def test_a_refused_scan_lets_the_enterprise_upload_again(workflow: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    event = submitted(enterprise)
    await rendered(workflow, tenant, event)
    scan = await signed_scan(workflow, staff, event.submission_id)
    admin = issuer.headers(tenant, [ADMIN], subject="admin-1")

    await deliver(
        workflow, reviewed(event, scan["id"], "scan_refused", scan_comment="未加盖公章", by="admin-1"), tenant
    )
    [rejected] = await events_of(workflow, tenant, DocumentRejected)
    assert (rejected["document_id"], rejected["comment"], rejected["reviewed_by"]) == (
        scan["id"],
        "未加盖公章",
        "admin-1",
    )
    assert rejected["submission_id"] == str(event.submission_id)

    again = await signed_scan(workflow, staff, event.submission_id)
    assert again["status"] == "pending"
    history = (
        await workflow.client.get(
            "/v1/review/decisions", params={"submission_id": str(event.submission_id)}, headers=admin
        )
    ).json()
    assert [(h["document_id"], h["decision"], h["comment"]) for h in history] == [
        (scan["id"], "rejected", "未加盖公章")
    ]


async def test_a_returned_submission_keeps_its_scan_from_the_public(
    workflow: Running, issuer: Issuer, tenant: str
) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    event = submitted(enterprise)  # two explanations
    payload = await rendered(workflow, tenant, event)
    scan = await signed_scan(workflow, staff, event.submission_id)

    # The reviewer approved the scan but rejected explanation 2: the whole submission is returned.
    await deliver(workflow, reviewed(event, scan["id"], "returned", rejected=1), tenant)
    assert await events_of(workflow, tenant, DocumentPublished) == []
    assert await events_of(workflow, tenant, DocumentRejected) == [], "explanations tells the enterprise"
    assert (await workflow.client.get(f"/v1/documents/{scan['id']}", headers=staff)).json()["status"] == "rejected"
    assert_problem(await workflow.client.get(f"/v1/public/documents/{scan['id']}/content"), 404, "not-found")
    verified = (await workflow.client.get(f"/v1/verify/{payload['verification_code']}")).json()
    assert verified["status"] == "returned"
    late = assert_problem(await upload_scan(workflow, staff, event.submission_id, real_pdf()), 409, "conflict")
    assert late["reason"] == "returned"
    state = (await workflow.client.get(f"/v1/submissions/{event.submission_id}", headers=staff)).json()
    assert state["status"] == "returned"


@pytest.mark.parametrize(
    ("make", "status", "reason"),
    [
        (encrypted_pdf, 422, "encrypted"),
        (javascript_open_action_pdf, 422, "javascript"),
        (javascript_name_tree_pdf, 422, "javascript"),
        (additional_actions_pdf, 422, "javascript"),
        (embedded_file_pdf, 422, "embedded-file"),
        (file_attachment_annotation_pdf, 422, "embedded-file"),
        (zero_page_pdf, 422, "no-pages"),
        (lambda: real_pdf(4), 422, "too-many-pages"),
        (truncated_pdf, 422, "truncated"),
        (lambda: b"PK\x03\x04 a zip named .pdf" + uuid4().bytes, 415, "not-a-pdf"),
        (lambda: b"%PDF-1.7\n" + b"\x00" * (MAX_UPLOAD_BYTES + 1), 413, "too-large"),
    ],
)
async def test_refused_scans_store_nothing(
    workflow: Running, issuer: Issuer, tenant: str, make: Any, status: int, reason: str
) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    event = submitted(enterprise)
    await rendered(workflow, tenant, event)
    response = await upload_scan(workflow, staff, event.submission_id, make(), name="scan.pdf")
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["reason"] == reason
    assert await events_of(workflow, tenant, PdfSigned) == []
    scans = select(func.count()).where(col(Document.tenant_id) == tenant, col(Document.kind) == "signed-explanation")
    assert await count(workflow, scans) == 0
    state = (await workflow.client.get(f"/v1/submissions/{event.submission_id}", headers=staff)).json()
    assert state["status"] == "rendered"


async def test_an_unrelated_pdf_is_refused_and_a_scan_of_the_pdf_accepted(
    workflow: Running, issuer: Issuer, tenant: str
) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    event = submitted(enterprise)
    await rendered(workflow, tenant, event)

    refused = await upload_scan(workflow, staff, event.submission_id, invoice_pdf(), name="invoice.pdf")
    assert assert_problem(refused, 422, "scan-mismatch")["reason"] == "code-not-found"
    assert await events_of(workflow, tenant, PdfSigned) == []
    scans = select(func.count()).where(col(Document.tenant_id) == tenant, col(Document.kind) == "signed-explanation")
    assert await count(workflow, scans) == 0

    # Printed, sealed and scanned: images only, a little askew, noisy.
    pdf = await rendered_pdf(workflow, staff, event.submission_id)
    accepted = await upload_scan(workflow, staff, event.submission_id, scan_of(pdf, angle=-1.0))
    assert accepted.status_code == 201, accepted.text
    assert (accepted.json()["status"], accepted.json()["scan_warnings"]) == ("pending", None)
    [signed] = await events_of(workflow, tenant, PdfSigned)
    assert signed["scan_warnings"] is None


async def test_a_scan_failing_a_soft_check_waits_for_review_with_a_warning(
    workflow: Running, issuer: Issuer, tenant: str
) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    event = submitted(enterprise)
    await rendered(workflow, tenant, event)
    pdf = await rendered_pdf(workflow, staff, event.submission_id)

    # The scanner cut off the first page's bottom margin: its code and QR code are gone.
    response = await upload_scan(workflow, staff, event.submission_id, scan_of(pdf, footer_hidden_on={0}))
    assert response.status_code == 201, response.text
    scan = response.json()
    [warning] = scan["scan_warnings"]
    assert (warning["code"], warning["pages"]) == ("code-missing-on-pages", [1])
    [signed] = await events_of(workflow, tenant, PdfSigned)
    assert signed["scan_warnings"] == [warning]

    reviewer = issuer.headers(tenant, [REVIEWER])
    item = (await workflow.client.get(f"/v1/review/documents/{scan['id']}", headers=reviewer)).json()
    assert (item["status"], item["scan_warnings"]) == ("pending", [warning])


# ---------------------------------------------------------------- supporting documents (STEP 11-12)


async def test_the_category_catalogue(workflow: Running) -> None:
    response = await workflow.client.get("/v1/document-categories")
    assert response.status_code == 200
    categories = {c["code"]: c for c in response.json()}
    assert list(categories) == [
        "corrective_action_plan",
        "discharge_permit",
        "eia_report",
        "eia_report_approval",
        "three_synchronizations",
        "emergency_plan",
        "testing_report",
        "hazardous_waste",
        "pollution_facility_operation_record",
        "other",
    ]
    assert categories["discharge_permit"] == {
        "code": "discharge_permit",
        "group": "compliance",
        "group_label_zh": "合规文件",
        "group_label_en": "Compliance documents",
        "label_zh": "排污许可证",
        "label_en": "Discharge Permit",
    }
    assert {c["group"] for c in categories.values()} == {"corrective_action_plan", "compliance", "pollutant", "other"}


async def supporting(
    app: Running, headers: dict[str, str], category: str, record_ids: list[str], data: bytes | None = None
) -> Any:
    return await app.client.post(
        "/v1/documents",
        files={"file": ("整改方案.pdf", data or real_pdf(), "application/pdf")},
        data={"category": category, "record_ids": ",".join(record_ids)},
        headers=headers,
    )


async def test_supporting_documents_name_their_enterprises_records(
    workflow: Running, issuer: Issuer, tenant: str
) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    record = record_published(enterprise)
    stranger_record = record_published(uuid4())
    await deliver(workflow, record, tenant)
    await deliver(workflow, stranger_record, tenant)

    created = []
    for _ in range(2):  # several files per category
        response = await supporting(workflow, staff, "discharge_permit", [str(record.record_id)])
        assert response.status_code == 201, response.text
        created.append(response.json())
    assert (created[0]["kind"], created[0]["category"], created[0]["status"]) == (
        "supporting",
        "discharge_permit",
        "pending",
    )
    assert created[0]["record_ids"] == [str(record.record_id)]
    no_records = await supporting(workflow, staff, "other", [])
    assert no_records.status_code == 201, no_records.text

    stored = [e for e in await events_of(workflow, tenant, DocumentStored) if e["kind"] == "supporting"]
    assert [e["document_id"] for e in stored] == [created[0]["id"], created[1]["id"], no_records.json()["id"]]
    assert (stored[0]["category"], stored[0]["record_ids"]) == ("discharge_permit", [str(record.record_id)])

    refusals = {
        "unknown-category": await supporting(workflow, staff, "tax_return", []),
        "unknown-record": await supporting(workflow, staff, "eia_report", [str(stranger_record.record_id)]),
        "invalid-record-id": await supporting(workflow, staff, "eia_report", ["not-a-uuid"]),
    }
    for reason, response in refusals.items():
        assert assert_problem(response, 422, "invalid-input")["reason"] == reason
    unknown = refusals["unknown-record"].json()
    assert unknown["record_ids"] == [str(stranger_record.record_id)]
    assert assert_problem(
        await supporting(workflow, staff, "eia_report", [], b"%PDF-1.4 " + uuid4().bytes), 422, "pdf-refused"
    )["reason"] == ("truncated")
    not_pdf = await workflow.client.post(
        "/v1/documents",
        files={"file": ("报告.pdf", "整改措施".encode() + uuid4().bytes, "application/pdf")},
        data={"category": "testing_report"},
        headers=staff,
    )
    assert assert_problem(not_pdf, 415, "unsupported-media-type")["reason"] == "not-a-pdf"
    wrong_kind = await workflow.client.post(
        "/v1/documents",
        files={"file": ("a.pdf", real_pdf(), "application/pdf")},
        data={"category": "other", "kind": "signed-explanation"},
        headers=staff,
    )
    assert_problem(wrong_kind, 422, "invalid-input")
    # A retracted record can no longer be named.
    from bluemap_shared.events.catalog import RecordRetracted

    await deliver(
        workflow,
        RecordRetracted(record_id=record.record_id, enterprise_id=enterprise, reason="错误发布", retracted_at=utcnow()),
        tenant,
    )
    retracted = await supporting(workflow, staff, "eia_report", [str(record.record_id)])
    assert assert_problem(retracted, 422, "invalid-input")["reason"] == "unknown-record"


async def test_the_review_queue_is_oldest_first_with_previews(workflow: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    event = submitted(enterprise)
    await rendered(workflow, tenant, event)
    plan = (await supporting(workflow, staff, "corrective_action_plan", [str(event.explanations[0].record_id)])).json()
    scan = await signed_scan(workflow, staff, event.submission_id)
    reviewer = issuer.headers(tenant, [REVIEWER])

    queue = (await workflow.client.get("/v1/review/documents", params={"status": "pending"}, headers=reviewer)).json()
    assert [item["id"] for item in queue] == [plan["id"], scan["id"]]
    plan_item, scan_item = queue
    assert (plan_item["enterprise_name"], plan_item["category_label_zh"], plan_item["category_label_en"]) == (
        ENTERPRISE_NAME,
        "整改方案",
        "Corrective Action Plan",
    )
    assert scan_item["document_number"] is not None
    preview = await workflow.client.get(path_and_query(scan_item["preview_url"]))
    assert preview.status_code == 200
    assert preview.headers["content-disposition"].startswith("inline;")
    assert preview.headers["content-type"] == "application/pdf"
    original = await workflow.client.get(path_and_query(scan_item["rendered_preview_url"]))
    assert ENTERPRISE_NAME in pdf_text(original.content).replace(" ", "")
    download = await workflow.client.get(path_and_query(scan_item["download_url"]))
    assert download.headers["content-disposition"].startswith("attachment;")
    assert (
        await workflow.client.get("/v1/review/documents", params={"status": "published"}, headers=reviewer)
    ).json() == []
    assert_problem(
        await workflow.client.get("/v1/review/documents", params={"status": "nope"}, headers=reviewer),
        422,
        "invalid-input",
    )
    # Enterprise staff do not review.
    assert_problem(await workflow.client.get("/v1/review/documents", headers=staff), 403, "forbidden")
    assert_problem(
        await workflow.client.post(f"/v1/review/documents/{plan['id']}/approve", json={}, headers=staff),
        403,
        "forbidden",
    )


async def test_the_list_of_disclosed_documents(workflow: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    record = record_published(enterprise)
    await deliver(workflow, record, tenant)
    event = submitted(enterprise, record_ids=[record.record_id])
    await rendered(workflow, tenant, event)
    scan = await signed_scan(workflow, staff, event.submission_id)
    permit = (await supporting(workflow, staff, "discharge_permit", [str(record.record_id)])).json()
    reviewer = issuer.headers(tenant, [REVIEWER])
    await deliver(workflow, reviewed(event, scan["id"], "published", scan_comment="可以"), tenant)
    await workflow.client.post(
        f"/v1/review/documents/{permit['id']}/reject", json={"comment": "已过期"}, headers=reviewer
    )
    plan = (await supporting(workflow, staff, "corrective_action_plan", [])).json()

    rows = (await workflow.client.get("/v1/disclosures", headers=staff)).json()
    assert [(r["no"], r["document_id"], r["status"]) for r in rows] == [
        (1, plan["id"], "pending"),
        (2, permit["id"], "rejected"),
        (3, scan["id"], "published"),
    ]
    plan_row, permit_row, scan_row = rows
    assert permit_row["stakeholders"] == [ENTERPRISE_NAME]
    assert permit_row["sources"] == [SOURCE_TITLE]
    assert (permit_row["document_type"], permit_row["document_type_label_zh"]) == ("discharge_permit", "排污许可证")
    assert permit_row["comments"] == "已过期"
    assert (scan_row["document_type"], scan_row["document_type_label_en"]) == (
        "signed-explanation",
        "Public explanation (signed)",
    )
    assert scan_row["comments"] == "可以"
    assert scan_row["public_url"].endswith(f"/v1/public/documents/{scan['id']}/content")
    assert plan_row["public_url"] is None
    assert plan_row["sources"] == []
    shanghai = datetime.fromisoformat(plan["created_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert plan_row["date"] == shanghai.date().isoformat()
    file = await workflow.client.get(path_and_query(permit_row["file_url"]))
    assert file.status_code == 200
    assert file.content.startswith(b"%PDF-")

    operator = issuer.headers(tenant, [ADMIN])
    by_enterprise = (
        await workflow.client.get("/v1/disclosures", params={"enterprise_id": str(enterprise)}, headers=operator)
    ).json()
    assert [r["document_id"] for r in by_enterprise] == [r["document_id"] for r in rows]


# ---------------------------------------------------------------- tenant and enterprise scope, every endpoint


async def test_other_enterprises_and_tenants_get_404_or_nothing(workflow: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    record = record_published(enterprise)
    await deliver(workflow, record, tenant)
    event = submitted(enterprise, record_ids=[record.record_id])
    payload = await rendered(workflow, tenant, event)
    scan = await signed_scan(workflow, staff, event.submission_id)
    permit = (await supporting(workflow, staff, "discharge_permit", [str(record.record_id)])).json()
    rendered_id = payload["document_id"]

    other_tenant = f"{tenant}-x"
    strangers = {
        "other enterprise": issuer.staff(tenant, uuid4()),
        "other tenant, same enterprise id": issuer.staff(other_tenant, enterprise),
    }
    operators_elsewhere = {
        "other tenant's admin": issuer.headers(other_tenant, [ADMIN]),
        "other tenant's reviewer": issuer.headers(other_tenant, [REVIEWER]),
    }
    for who, headers in {**strangers, **operators_elsewhere}.items():
        for path in (
            f"/v1/submissions/{event.submission_id}",
            f"/v1/documents/{rendered_id}",
            f"/v1/documents/{rendered_id}/content",
            f"/v1/documents/{scan['id']}/content",
        ):
            assert_problem(await workflow.client.get(path, headers=headers), 404, "not-found")
        for params in ({}, {"enterprise_id": str(enterprise)}):
            listed = await workflow.client.get("/v1/disclosures", params=params, headers=headers)
            assert (listed.status_code, listed.json()) == (200, []), who
            documents = await workflow.client.get("/v1/documents", params=params, headers=headers)
            assert documents.json() == [], who
    for who, headers in strangers.items():
        response = await upload_scan(workflow, headers, event.submission_id, real_pdf())
        assert_problem(response, 404, "not-found")
        foreign = await supporting(workflow, headers, "eia_report", [str(record.record_id)])
        assert assert_problem(foreign, 422, "invalid-input")["reason"] == "unknown-record", who
    for who, headers in operators_elsewhere.items():
        for document_id in (scan["id"], permit["id"], rendered_id):
            assert_problem(
                await workflow.client.get(f"/v1/review/documents/{document_id}", headers=headers), 404, "not-found"
            )
            for action, body in (("approve", {}), ("reject", {"comment": "x"})):
                response = await workflow.client.post(
                    f"/v1/review/documents/{document_id}/{action}", json=body, headers=headers
                )
                assert_problem(response, 404, "not-found")
        queue = await workflow.client.get("/v1/review/documents", headers=headers)
        assert [i for i in queue.json() if i["enterprise_id"] == str(enterprise)] == [], who
        decisions = await workflow.client.get(
            "/v1/review/decisions", params={"enterprise_id": str(enterprise)}, headers=headers
        )
        assert decisions.json() == [], who

    # Nothing was decided or stored by the strangers; the owner's documents are untouched and private.
    reviewer = issuer.headers(tenant, [REVIEWER])
    # The rendered (unsigned) PDF is never a review item.
    assert_problem(await workflow.client.get(f"/v1/review/documents/{rendered_id}", headers=reviewer), 404, "not-found")
    queue = (await workflow.client.get("/v1/review/documents", headers=reviewer)).json()
    assert {i["id"] for i in queue} >= {scan["id"], permit["id"]}
    for document_id in (scan["id"], permit["id"], rendered_id):
        assert_problem(await workflow.client.get(f"/v1/public/documents/{document_id}/content"), 404, "not-found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/submissions/{id}"),
        ("POST", "/v1/submissions/{id}/signed"),
        ("GET", "/v1/review/documents"),
        ("GET", "/v1/review/documents/{id}"),
        ("POST", "/v1/review/documents/{id}/approve"),
        ("POST", "/v1/review/documents/{id}/reject"),
        ("GET", "/v1/review/decisions"),
        ("GET", "/v1/disclosures"),
    ],
)
async def test_no_token_is_unauthorized(workflow: Running, method: str, path: str) -> None:
    response = await workflow.client.request(method, path.format(id=uuid7()))
    assert_problem(response, 401, "unauthorized")


async def test_public_endpoints_need_no_token(workflow: Running) -> None:
    assert (await workflow.client.get("/v1/document-categories")).status_code == 200
    assert_problem(await workflow.client.get(f"/v1/verify/{'a' * 64}"), 404, "not-found")
    assert_problem(await workflow.client.get(f"/v1/public/documents/{uuid7()}/content"), 404, "not-found")


def test_document_numbers_follow_the_submission_date(tenant: str) -> None:
    event = submitted(uuid4())
    number = document_number(tenant, event.submission_id, event.submitted_at.date())
    assert number.startswith(f"BM-{tenant.upper().replace('-', '')}-20260302-")


async def test_a_claimed_render_keeps_other_workers_away_until_its_lease_ends(workflow: Running, tenant: str) -> None:
    from bluemap_documents.submissions.repository import SubmissionRepository

    event = submitted(uuid4())
    await deliver(workflow, event, tenant)
    # Another replica claimed it, then died mid-render.
    async with workflow.service.runtime.sessionmaker() as session, session.begin():
        assert await SubmissionRepository(session).claim_due(tenant, event.submission_id, utcnow(), lease_seconds=60)
        assert not await SubmissionRepository(session).claim_due(
            tenant, event.submission_id, utcnow(), lease_seconds=60
        )
    assert await workflow.service.render_worker.render_due() == 0
    async with workflow.service.runtime.sessionmaker() as session:
        submission = await session.get(Submission, event.submission_id)
        assert submission is not None
        submission.next_render_at = utcnow()  # the lease ran out
        session.add(submission)
        await session.commit()
    assert await workflow.service.render_worker.render_due() == 1
    assert await rendered_code(workflow, tenant, event)
