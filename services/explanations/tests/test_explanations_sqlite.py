"""The embedded default: the whole workflow on SQLite, whose upsert and update dialect differs from PostgreSQL's."""

from pathlib import Path
from uuid import uuid4

import httpx
from explanations_testing import COMPLETE, Running, accept, deliver, pdf_rendered, pdf_signed, publish, record_published

from bluemap_explanations.bootstrap import bootstrap
from bluemap_explanations.settings import ExplanationsSettings
from bluemap_shared.auth import REVIEWER
from bluemap_shared.messaging.transport import InProcessTransport
from bluemap_shared.runtime import running
from bluemap_shared.testing import TokenIssuer as Issuer


async def test_the_workflow_on_sqlite(tmp_path: Path, issuer: Issuer) -> None:
    settings = ExplanationsSettings(data_dir=tmp_path, environment="test")
    service = bootstrap(settings, InProcessTransport(), token_verifier=issuer.verifier)
    enterprise = uuid4()
    staff = issuer.staff("ipe", enterprise)
    reviewer = issuer.headers("ipe", [REVIEWER])
    event = record_published(enterprise, record_type="rectification_order", title="整改通知")
    url = f"/v1/records/{event.record_id}/explanation"
    async with (
        running(service.runtime),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://explanations") as client,
    ):
        app = Running(service=service, client=client)
        await publish(app, "ipe", event)
        await publish(app, "ipe", event)
        await accept(app, staff)
        assert (await client.put(url, json=COMPLETE, headers=staff)).json()["version"] == 1
        assert (await client.put(url, json=COMPLETE, headers=staff)).json()["version"] == 2
        listed = (await client.get("/v1/records", headers=staff)).json()
        assert [(r["record_id"], r["saved"], r["status"]) for r in listed] == [(str(event.record_id), True, "saved")]

        await accept(app, staff, "deadline")
        sent = await client.post("/v1/submissions", json={"record_ids": [str(event.record_id)]}, headers=staff)
        assert sent.status_code == 201, sent.text
        submission = sent.json()
        assert (await client.put(url, json=COMPLETE, headers=staff)).status_code == 409
        await deliver(app, "ipe", pdf_rendered(submission))
        await deliver(app, "ipe", pdf_signed(submission))
        [queued] = (await client.get("/v1/review/submissions", headers=reviewer)).json()
        assert queued["status"] == "signed"
        review = {
            "explanations": [{"explanation_id": queued["items"][0]["explanation_id"], "decision": "approved"}],
            "scan": {"document_id": queued["documents"]["signed"]["document_id"], "decision": "approved"},
        }
        url = f"/v1/submissions/{submission['id']}/review"
        approved = await client.post(url, json=review, headers=reviewer)
        assert approved.status_code == 200, approved.text
        assert (await client.post(url, json=review, headers=reviewer)).status_code == 409
        [mine] = (await client.get("/v1/submissions", headers=staff)).json()
        assert (mine["status"], mine["items"][0]["outcome"]) == ("published", "published")
    assert (tmp_path / "explanations.db").exists()
