"""Reject one of two: a submission returned whole, nothing of it public, then sent again and published."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from tests.e2e import workflow_steps as steps
from tests.e2e.workflow_steps import Deployment, User

FIRST_SCAN = "公开说明-第一次-盖章扫描件.pdf"
SECOND_SCAN = "公开说明-第二次-盖章扫描件.pdf"


@dataclass(frozen=True)
class Published:
    """The submission sent again and published."""

    submission_id: str
    scan_id: str
    code: str


async def _get(url: str, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.get(url, params=params)


async def nothing_rejected_is_public(
    deployment: Deployment, enterprise_id: str, code: str, scan_id: str, hidden: Sequence[str]
) -> None:
    """The returned submission's texts and scan are on no public page, list, feed or verification."""
    site, portal, documents = deployment.site, deployment.api("public-portal"), deployment.api("documents")
    pages = {
        "enterprise page": f"{site}/enterprises/{enterprise_id}",
        "enterprise feed": f"{site}/enterprises/{enterprise_id}/feed.atom",
        "enterprise feedback": f"{site}/categories/enterprise_feedback",
        "enterprise feedback feed": f"{site}/categories/enterprise_feedback/feed.atom",
        "public document list": f"{site}/documents",
        "verify page": f"{site}/verify/{code}",
        "portal enterprise API": f"{portal}/v1/enterprises/{enterprise_id}",
    }
    for name, url in pages.items():
        response = await _get(url)
        assert response.status_code in (200, 404), f"{name}: {response.status_code}"
        for text in (*hidden, scan_id):
            assert text not in response.text, f"{text!r} is public on the {name}"
    verified = await _get(f"{portal}/v1/verify/{code}")
    if verified.status_code == 200:
        assert verified.json()["document"] is None, "the verify page shows the returned scan"
    assert (await steps.verify(deployment, code)).json()["status"] == "returned"
    download = await _get(f"{documents}/v1/public/documents/{scan_id}/content")
    assert download.status_code == 404, download.text


async def reject_one_of_two_then_send_again(
    deployment: Deployment,
    staff: User,
    reviewer: User,
    enterprise_id: str,
    record_ids: Sequence[str],
    registered_email: str,
) -> Published:
    """Two explanations in one submission, its signed scan uploaded; the reviewer rejects explanation 2.

    The commitments must be accepted already. Returns the submission sent again and published.
    """
    assert len(record_ids) == 2
    drafts = steps.EXPLANATIONS[:2]
    marker = uuid.uuid4().hex[:8]
    rejected_text = f"{drafts[1]['violation']}（初稿{marker}）"
    await steps.save_explanation(staff, record_ids[0], drafts[0])
    await steps.save_explanation(staff, record_ids[1], {**drafts[1], "violation": rejected_text})
    pdfs_before = len(await deployment.inbox.emails(registered_email, steps.PDF_EMAIL_SUBJECT))
    rejections_before = len(await deployment.inbox.emails(registered_email, steps.REJECTED_EMAIL_SUBJECT))

    sent = await steps.send(staff, record_ids)
    assert sent.status_code == 201, sent.text
    submission_id = str(sent.json()["id"])
    email = await steps.explanation_pdf_email(deployment, registered_email, count=pdfs_before + 1)
    code = steps.verification_code_of(email)
    assert steps.compact(rejected_text) in steps.pdf_text(email.pdf().data)
    uploaded = await steps.upload_signed(staff, submission_id, steps.signed_copy(email.pdf().data), FIRST_SCAN)
    assert uploaded.status_code == 201, uploaded.text
    scan_id = str(uploaded.json()["id"])

    # One review: explanation 1 and the scan approved, explanation 2 rejected; the whole submission goes back.
    under_review = await steps.submission_under_review(reviewer, submission_id)
    explanation_of = {i["record_id"]: i["explanation_id"] for i in under_review["items"]}
    comment = f"第二条说明与记录不符，请重写（{marker}）。"
    returned = await steps.review_submission(
        reviewer, under_review, {explanation_of[record_ids[1]]: ("rejected", comment)}
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    assert {i["explanation_status"] for i in returned.json()["items"]} == {"draft"}

    # The enterprise is told why, and both records owe an explanation again.
    [told, *_] = await steps.wait_for_email(
        deployment.inbox, registered_email, steps.REJECTED_EMAIL_SUBJECT, count=rejections_before + 1
    )
    assert comment in told.text
    for record_id in record_ids:
        await steps.record_reaches(staff, record_id, "awaiting_explanation")
    assert (await steps.workspace_row(staff, record_ids[1]))["status"] == "rejected"
    assert (await steps.workspace_row(staff, record_ids[1]))["review_comment"] == comment
    assert (await steps.workspace_row(staff, record_ids[0]))["status"] == "saved"
    late = await steps.upload_signed(staff, submission_id, steps.signed_copy(email.pdf().data), FIRST_SCAN)
    assert (late.status_code, late.json()["reason"]) == (409, "returned")
    await nothing_rejected_is_public(deployment, enterprise_id, code, scan_id, [rejected_text, FIRST_SCAN])

    # A new Send: a new PDF, a new scan, approved whole.
    await steps.save_explanation(staff, record_ids[1], drafts[1])
    await steps.accept_commitment(staff, "deadline")  # accepted at each Send, as in the seed
    resent = await steps.send(staff, record_ids)
    assert resent.status_code == 201, resent.text
    resent_id = str(resent.json()["id"])
    assert resent_id != submission_id
    email = await steps.explanation_pdf_email(deployment, registered_email, count=pdfs_before + 2)
    new_code = steps.verification_code_of(email)
    assert new_code != code
    assert steps.compact(rejected_text) not in steps.pdf_text(email.pdf().data)
    new_scan = steps.signed_copy(email.pdf().data)
    uploaded = await steps.upload_signed(staff, resent_id, new_scan, SECOND_SCAN)
    assert uploaded.status_code == 201, uploaded.text
    published = await steps.review_submission(reviewer, await steps.submission_under_review(reviewer, resent_id))
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"

    await steps.public_page(deployment, enterprise_id, [drafts[0]["violation"], drafts[1]["violation"], SECOND_SCAN])
    for record_id in record_ids:
        await steps.record_reaches(staff, record_id, "explained")
    assert (await steps.verify(deployment, new_code)).json()["status"] == "published"
    # What was returned stays out of sight once the new submission is public.
    await nothing_rejected_is_public(deployment, enterprise_id, code, scan_id, [rejected_text, FIRST_SCAN])
    return Published(resent_id, str(uploaded.json()["id"]), new_code)
