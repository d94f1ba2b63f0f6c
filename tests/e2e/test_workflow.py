"""The disclosure workflow of the IPE walkthrough, on the distributed mode: every service its own process."""

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from bluemap_shared.testing import Mailpit
from tests.e2e import email_change_steps as email_change
from tests.e2e import review_steps
from tests.e2e import workflow_steps as steps
from tests.e2e.platform import Platform
from tests.e2e.workflow_steps import Deployment, MailpitInbox, User

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture(scope="module")
def deployment(platform: Platform, mailpit: Mailpit) -> Deployment:
    return Deployment(
        apis={service: platform.api(service) for service in platform.ports},
        site=platform.url("public-portal"),
        inbox=MailpitInbox(mailpit),
    )


async def new_user(platform: Platform, deployment: Deployment, role: str, enterprise_id: str | None = None) -> User:
    """A login made with the records CLI, signed in."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@{'e2e.example.cn' if enterprise_id else 'ipe.example.org'}"
    password = f"{role}-password-e2e"
    linked = ["--enterprise-id", enterprise_id] if enterprise_id else []
    platform.create_user("--tenant", steps.TENANT, "--email", email, "--password", password, "--role", role, *linked)
    return await steps.sign_in(deployment, email, password)


@dataclass(frozen=True)
class Enterprise:
    """An enterprise an admin registered, with its published records and a signed-in user of its own."""

    admin: User
    details: dict[str, Any]
    registered_email: str
    record_ids: list[str]
    staff: User

    @property
    def id(self) -> str:
        return str(self.details["id"])


async def enterprise_with_records(
    platform: Platform, deployment: Deployment, records: list[dict[str, Any]]
) -> Enterprise:
    """An admin registers an enterprise (a registered email of its own) and publishes its records."""
    admin = await new_user(platform, deployment, "admin")
    registered_email = f"ehs-{uuid.uuid4().hex[:8]}@yongan-xingqing.example.cn"
    details = await steps.register_enterprise(admin, registered_email=registered_email)
    record_ids = [str((await steps.publish_record(admin, str(details["id"]), r))["id"]) for r in records]
    staff = await new_user(platform, deployment, "enterprise", str(details["id"]))
    return Enterprise(admin, details, registered_email, record_ids, staff)


async def test_disclosure_workflow_from_records_to_the_public_page(platform: Platform, deployment: Deployment) -> None:
    records = [*steps.WALKTHROUGH_RECORDS, steps.MONITORING_RECORD]
    enterprise = await enterprise_with_records(platform, deployment, records)
    staff, record_ids, registered_email = enterprise.staff, enterprise.record_ids, enterprise.registered_email
    reviewer = await new_user(platform, deployment, "reviewer")
    drafts = [*steps.EXPLANATIONS, steps.MONITORING_EXPLANATION]

    # STEP 2: the workspace lists the three records, nothing explained yet.
    listed = await steps.records_to_explain(staff, 3)
    assert {r["record_id"] for r in listed} == set(record_ids)
    assert {r["status"] for r in listed} == {"draft"}

    # STEP 3: the accuracy commitment opens the form; STEP 4: Save each record's three answers,
    # the second record's corrective actions still empty.
    await steps.accept_commitment(staff, "accuracy")
    incomplete = {**drafts[1], "corrective_actions": ""}
    for record_id, draft in zip(record_ids, [drafts[0], incomplete, drafts[2]], strict=True):
        saved = await steps.save_explanation(staff, record_id, draft)
        assert saved["status"] == "draft"
        assert saved["violation"] == draft["violation"]

    # STEP 5: Send refuses the empty field, naming the record and the field.
    refused = await steps.send(staff, record_ids)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [{"record_id": record_ids[1], "field": "corrective_actions", "reason": "empty"}]

    await steps.save_explanation(staff, record_ids[1], drafts[1])
    # STEP 6: the deadline commitment, then Send.
    await steps.accept_commitment(staff, "deadline")
    sent = await steps.send(staff, record_ids)
    assert sent.status_code == 201, sent.text
    submission_id = str(sent.json()["id"])
    assert [item["record_id"] for item in sent.json()["items"]] == record_ids
    assert {c["kind"] for c in sent.json()["commitments"]} == {"accuracy", "deadline"}

    for record_id in record_ids:
        await steps.record_reaches(enterprise.admin, record_id, "explanation_submitted")

    # Sending the same records again is refused: they are out of the enterprise's hands now.
    again = await steps.send(staff, record_ids)
    assert again.status_code == 409, again.text
    assert again.json()["type"].endswith("/already-submitted")

    # STEP 7: the public explanation PDF arrives at the registered address.
    email = await steps.explanation_pdf_email(deployment, registered_email)
    attachment = email.pdf()
    assert attachment.filename.endswith(".pdf")
    code = steps.verification_code_of(email)
    text = steps.pdf_text(attachment.data)
    for expected in [
        steps.ENTERPRISE_NAME,
        enterprise.details["uscc"],
        code,
        *(r["source_title"] for r in records),
        *(d[field] for d in drafts for field in ("violation", "reasons", "corrective_actions")),
        steps.MONITORING_EXPLANATION["monitoring"]["measured_value"],
    ]:
        assert steps.compact(expected) in text, f"{expected!r} is not in the PDF"

    # Anyone can check the code printed on the PDF.
    verified = await steps.verify(deployment, code)
    assert verified.status_code == 200, verified.text
    assert verified.json()["valid"] is True
    assert verified.json()["enterprise_name"] == steps.ENTERPRISE_NAME
    assert verified.json()["document_number"] in email.text
    rendered = await steps.rendered_pdf(staff, submission_id)
    assert (rendered["verification_code"], rendered["document_number"]) == (code, verified.json()["document_number"])

    # Nothing to approve before the signed scan is there.
    early = await steps.review_submission(reviewer, await steps.submission(staff, submission_id))
    assert early.status_code == 409, early.text
    assert early.json()["reason"] == "scan-pending"

    # STEP 8-10: sign or seal the PDF, scan it, Upload Public Explanation, Submit.
    signed_pdf = steps.signed_copy(attachment.data)
    signed = await steps.upload_signed(staff, submission_id, signed_pdf, "公开说明-盖章扫描件.pdf")
    assert signed.status_code == 201, signed.text
    assert signed.json()["status"] == "pending"

    # STEP 11-12: a corrective action plan for the first record.
    supporting = await steps.upload_supporting(staff, [record_ids[0]], steps.supporting_pdf(), "整改方案.pdf")
    assert supporting.status_code == 201, supporting.text
    assert supporting.json()["category"] == "corrective_action_plan"
    document_ids = [signed.json()["id"], supporting.json()["id"]]
    assert set(document_ids) <= {d["id"] for d in await steps.pending_documents(reviewer)}

    # The reviewer approves the explanations and the signed scan in one review (once: a second is refused) ...
    under_review = await steps.submission_under_review(reviewer, submission_id)
    for record_id in record_ids:
        await steps.record_reaches(enterprise.admin, record_id, "under_review")
    approved = await steps.review_submission(reviewer, under_review)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "published"
    assert {i["explanation_status"] for i in approved.json()["items"]} == {"published"}
    twice = await steps.review_submission(reviewer, under_review)
    assert twice.status_code == 409, twice.text
    assert (await steps.submission(staff, submission_id))["status"] == "published"

    # ... and the supporting document, once too; the signed scan is not decided in documents.
    approved = await steps.decide_document(reviewer, document_ids[1], "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "published"
    twice = await steps.decide_document(reviewer, document_ids[1], "approve")
    assert twice.status_code == 409, twice.text
    elsewhere = await steps.decide_document(reviewer, document_ids[0], "approve")
    assert (elsewhere.status_code, elsewhere.json()["reason"]) == (409, "decided-with-submission")

    # A published explanation is no longer the enterprise's to edit.
    edited = await steps.put_explanation(staff, record_ids[0], {**drafts[0], "violation": "改写"})
    assert edited.status_code == 409, edited.text

    # The public enterprise page shows the explanations, the documents and the verification code.
    await steps.public_page(
        deployment,
        enterprise.id,
        [
            steps.ENTERPRISE_NAME,
            *(d[field] for d in drafts for field in ("violation", "reasons", "corrective_actions")),
            "公开说明-盖章扫描件.pdf",
            "整改方案.pdf",
            code,
        ],
    )
    shown = await steps.public_records(deployment, enterprise.id, "explained")
    assert set(shown) == set(record_ids)
    first = shown[record_ids[0]]
    assert [e["violation"] for e in first["explanations"]] == [drafts[0]["violation"]]
    assert {d["id"] for d in first["documents"]} == set(document_ids)
    [scan] = [d for d in first["documents"] if d["id"] == signed.json()["id"]]
    assert scan["verification_code"] == code
    # Published documents download without a token: the scan is the one uploaded.
    downloaded = await steps.download(scan["download_url"])
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == signed_pdf
    assert (await steps.verify(deployment, code)).json()["status"] == "published"

    # The records service moved every record to explained.
    for record_id in record_ids:
        await steps.record_reaches(enterprise.admin, record_id, "explained")


async def test_rejecting_one_of_two_returns_the_submission_and_nothing_rejected_is_ever_public(
    platform: Platform, deployment: Deployment
) -> None:
    """Issue 15: the reviewer rejected explanation 2 and approved the scan; the scan, holding it, stays private."""
    enterprise = await enterprise_with_records(platform, deployment, list(steps.WALKTHROUGH_RECORDS[:2]))
    reviewer = await new_user(platform, deployment, "reviewer")
    await steps.accept_commitment(enterprise.staff, "accuracy")
    await steps.accept_commitment(enterprise.staff, "deadline")
    published = await review_steps.reject_one_of_two_then_send_again(
        deployment,
        enterprise.staff,
        reviewer,
        enterprise.id,
        enterprise.record_ids,
        enterprise.registered_email,
    )
    shown = await steps.public_records(deployment, enterprise.id, "explained")
    assert {d["id"] for r in shown.values() for d in r["documents"]} == {published.scan_id}


async def test_signed_scan_before_sending_is_refused(platform: Platform, deployment: Deployment) -> None:
    enterprise = await enterprise_with_records(platform, deployment, [steps.WALKTHROUGH_RECORDS[0]])
    staff, record_ids = enterprise.staff, enterprise.record_ids
    scan = steps.supporting_pdf()

    # Nothing was sent: there is no submission to upload a scan of.
    unknown = await steps.upload_signed(staff, str(uuid.uuid4()), scan, "公开说明-盖章扫描件.pdf")
    assert unknown.status_code == 404, unknown.text

    # Sent, but its PDF is not rendered yet (or not even announced to documents): still refused.
    await steps.accept_commitment(staff, "accuracy")
    await steps.save_explanation(staff, record_ids[0], steps.EXPLANATIONS[0])
    await steps.accept_commitment(staff, "deadline")
    sent = await steps.send(staff, record_ids)
    assert sent.status_code == 201, sent.text
    early = await steps.upload_signed(staff, str(sent.json()["id"]), scan, "公开说明-盖章扫描件.pdf")
    assert early.status_code in (404, 409), early.text
    if early.status_code == 409:
        assert early.json()["reason"] == "not-rendered"


async def test_rejected_explanation_is_emailed_edited_and_sent_again(
    platform: Platform, deployment: Deployment
) -> None:
    enterprise = await enterprise_with_records(platform, deployment, [steps.WALKTHROUGH_RECORDS[0]])
    staff, record_ids, registered_email = enterprise.staff, enterprise.record_ids, enterprise.registered_email
    reviewer = await new_user(platform, deployment, "reviewer")
    await steps.accept_commitment(staff, "accuracy")
    await steps.save_explanation(staff, record_ids[0], steps.EXPLANATIONS[0])
    await steps.accept_commitment(staff, "deadline")
    sent = await steps.send(staff, record_ids)
    assert sent.status_code == 201, sent.text
    await steps.explanation_pdf_email(deployment, registered_email)

    # The reviewer sends it back with a comment before any scan, which reaches the enterprise by email.
    comment = f"请补充活性炭更换记录和在线监控数据（{uuid.uuid4().hex[:6]}）。"
    [item] = sent.json()["items"]
    await steps.rendered_pdf(staff, str(sent.json()["id"]))
    rendered = await steps.submission(staff, str(sent.json()["id"]))
    rejected = await steps.review_submission(
        reviewer, rendered, {item["explanation_id"]: ("rejected", comment)}, scan=None
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "returned"
    assert rejected.json()["items"][0]["explanation_status"] == "draft"
    [email] = await steps.wait_for_email(deployment.inbox, registered_email, steps.REJECTED_EMAIL_SUBJECT)
    assert comment in email.text

    row = await steps.workspace_row(staff, record_ids[0])
    assert (row["status"], row["review_comment"]) == ("rejected", comment)

    # Editable again: the enterprise revises it and sends it again, and a new PDF arrives.
    revised = {**steps.EXPLANATIONS[0], "corrective_actions": "已补充活性炭更换记录，在线监控数据按日公开。"}
    await steps.save_explanation(staff, record_ids[0], revised)
    await steps.accept_commitment(staff, "deadline")  # STEP 6 again: the commitment is accepted at each Send
    resent = await steps.send(staff, record_ids)
    assert resent.status_code == 201, resent.text
    assert resent.json()["id"] != sent.json()["id"]
    email = await steps.explanation_pdf_email(deployment, registered_email, count=2)
    assert steps.compact(revised["corrective_actions"]) in steps.pdf_text(email.pdf().data)


async def test_the_registered_email_changes_by_the_link_mailed_to_the_new_address(
    platform: Platform, deployment: Deployment
) -> None:
    enterprise = await enterprise_with_records(platform, deployment, [])
    new_email = f"ehs-new-{uuid.uuid4().hex[:8]}@yongan-xingqing.example.cn"
    await email_change.change_registered_email(
        deployment, enterprise.staff, "enterprise-password-e2e", enterprise.id, enterprise.registered_email, new_email
    )
