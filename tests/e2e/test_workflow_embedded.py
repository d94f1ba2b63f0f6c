"""The disclosure workflow of the IPE walkthrough, on the embedded default with its demo data."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import email_change_steps as email_change
from tests.e2e import review_steps
from tests.e2e import workflow_steps as steps
from tests.e2e.embedded import Embedded, print_log_tail_if_failed, running_embedded
from tests.e2e.workflow_steps import Deployment, MaildirInbox

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

# The demo accounts of deploy/embedded/bluemap_embedded/demo.py (README, "Demo accounts").
ENTERPRISE_LOGIN = ("ehs@yongan-xingqing.example.cn", "bluemap-enterprise-demo")
REVIEWER_LOGIN = ("reviewer@ipe.example.org", "bluemap-reviewer-demo")
REGISTERED_EMAIL = "ehs@yongan-xingqing.example.cn"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    workdir: Path = tmp_path_factory.mktemp("embedded")
    with running_embedded(workdir) as running:
        yield running


@pytest.fixture(autouse=True)
def _service_logs_on_failure(request: pytest.FixtureRequest, embedded: Embedded) -> Iterator[None]:
    """Replaces the conftest's fixture of the same name: here there is one process, and no distributed platform."""
    yield
    print_log_tail_if_failed(request, embedded)


async def test_disclosure_workflow_on_the_embedded_default(embedded: Embedded) -> None:
    deployment = Deployment(
        apis={s: embedded.api(s) for s in ("records", "explanations", "documents", "notifications", "public-portal")},
        site=embedded.url,
        inbox=MaildirInbox(embedded.maildir),
    )
    staff = await steps.sign_in(deployment, *ENTERPRISE_LOGIN)
    reviewer = await steps.sign_in(deployment, *REVIEWER_LOGIN)
    enterprise_id = await steps.enterprise_of(staff)

    # STEP 2: the walkthrough's two environmental supervision records of 2020 wait for an explanation.
    listed = sorted(await steps.records_to_explain(staff, 2), key=lambda r: r["issued_on"])
    assert [(r["record_type"], r["year"], r["status"]) for r in listed] == [
        ("environmental_supervision", 2020, "draft")
    ] * 2
    record_ids = [str(r["record_id"]) for r in listed]

    # STEP 3: the accuracy commitment; STEP 4: Save, the second record's reasons left empty.
    await steps.accept_commitment(staff, "accuracy")
    await steps.save_explanation(staff, record_ids[1], {**steps.EXPLANATIONS[1], "reasons": "  "})
    # STEP 5: Send names the empty field; STEP 6: the deadline commitment.
    refused = await steps.send(staff, record_ids)
    assert refused.status_code == 422, refused.text
    assert {"record_id": record_ids[1], "field": "reasons", "reason": "empty"} in refused.json()["errors"]
    await steps.accept_commitment(staff, "deadline")

    # STEP 7-10 twice: the reviewer rejects explanation 2 of the first submission, then publishes the second.
    published = await review_steps.reject_one_of_two_then_send_again(
        deployment, staff, reviewer, enterprise_id, record_ids, REGISTERED_EMAIL
    )
    assert (await steps.send(staff, record_ids)).status_code == 409
    assert (await steps.put_explanation(staff, record_ids[0], steps.EXPLANATIONS[0])).status_code == 409

    # STEP 11-12: a corrective action plan for the first record, approved in documents.
    supporting = await steps.upload_supporting(staff, [record_ids[0]], steps.supporting_pdf(), "整改方案.pdf")
    assert supporting.status_code == 201, supporting.text
    approved = await steps.decide_document(reviewer, supporting.json()["id"], "approve")
    assert approved.status_code == 200, approved.text
    assert (await steps.decide_document(reviewer, supporting.json()["id"], "approve")).status_code == 409

    await steps.public_page(
        deployment, enterprise_id, [*(d["corrective_actions"] for d in steps.EXPLANATIONS[:2]), "整改方案.pdf"]
    )
    shown = await steps.public_records(deployment, enterprise_id, "explained")
    assert set(shown) == set(record_ids)
    [scan] = [d for d in shown[record_ids[0]]["documents"] if d["id"] == published.scan_id]
    assert scan["verification_code"] == published.code
    assert (await steps.download(scan["download_url"])).status_code == 200


async def test_the_registered_email_changes_by_the_link_the_embedded_mail_catcher_caught(embedded: Embedded) -> None:
    """Last in this module: it replaces the demo enterprise's registered address."""
    deployment = Deployment(
        apis={s: embedded.api(s) for s in ("records", "explanations", "documents", "notifications", "public-portal")},
        site=embedded.url,
        inbox=MaildirInbox(embedded.maildir),
    )
    staff = await steps.sign_in(deployment, *ENTERPRISE_LOGIN)
    await email_change.change_registered_email(
        deployment,
        staff,
        ENTERPRISE_LOGIN[1],
        await steps.enterprise_of(staff),
        REGISTERED_EMAIL,
        "ehs-new@yongan-xingqing.example.cn",
    )
