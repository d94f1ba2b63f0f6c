"""The disclosure workflow against the real S3 server: rendered PDFs, capability URLs, scans, public downloads."""

import re
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import httpx
import pytest
from documents_testing import (
    ENTERPRISE_NAME,
    Running,
    deliver,
    events_of,
    path_and_query,
    pdf_text,
    signed_copy,
    submitted,
)
from test_documents_api import assert_problem
from test_submissions import reviewed

from bluemap_shared.auth import REVIEWER
from bluemap_shared.events.catalog import PdfRendered
from bluemap_shared.testing import TokenIssuer as Issuer

pytestmark = pytest.mark.integration


async def follow(app: Running, path: str, servers: dict[str, str]) -> httpx.Response:
    """The service answers a download with a redirect to a presigned URL of the S3 server: follow it."""
    response = await app.client.get(path)
    assert response.status_code == 307, response.text
    assert response.headers["cache-control"] == "no-store"
    location = response.headers["location"]
    assert urlsplit(location).netloc == servers["BLUEMAP_S3_ENDPOINT"]
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.get(location)


async def test_render_store_sign_review_and_publish_on_s3(
    s3_workflow: Running, issuer: Issuer, tenant: str, servers: dict[str, str]
) -> None:
    enterprise = uuid4()
    event = submitted(enterprise)
    await deliver(s3_workflow, event, tenant)
    assert await s3_workflow.service.render_worker.render_due() == 1
    [payload] = await events_of(s3_workflow, tenant, PdfRendered)

    # The capability URL works the same on S3: no token, a redirect to a presigned GET.
    downloaded = await follow(s3_workflow, path_and_query(payload["download_url"]), servers)
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.headers["content-type"] == "application/pdf"
    flat = re.sub(r"\s+", "", pdf_text(downloaded.content))
    assert ENTERPRISE_NAME in flat
    assert payload["verification_code"] in flat
    tampered = re.sub(r"signature=[0-9a-f]", "signature=x", path_and_query(payload["download_url"]))
    assert_problem(await s3_workflow.client.get(tampered), 403, "capability-refused")

    staff = issuer.staff(tenant, enterprise)
    scan_bytes = signed_copy(downloaded.content)
    response = await s3_workflow.client.post(
        f"/v1/submissions/{event.submission_id}/signed",
        files={"file": ("signed.pdf", scan_bytes, "application/pdf")},
        headers=staff,
    )
    assert response.status_code == 201, response.text
    scan: dict[str, Any] = response.json()

    reviewer = issuer.headers(tenant, [REVIEWER])
    [item] = (await s3_workflow.client.get("/v1/review/documents", headers=reviewer)).json()
    # Previews are streamed by the service itself, inline, whatever the storage.
    preview = await s3_workflow.client.get(path_and_query(item["preview_url"]))
    assert preview.status_code == 200
    assert preview.headers["content-disposition"].startswith("inline;")
    assert preview.content == scan_bytes

    # Explanations' review published the submission: documents publishes its scan.
    await deliver(s3_workflow, reviewed(event, scan["id"], "published"), tenant)
    public = await follow(s3_workflow, f"/v1/public/documents/{scan['id']}/content", servers)
    assert public.content == scan_bytes
    assert (await s3_workflow.client.get(f"/v1/verify/{payload['verification_code']}")).json()["status"] == "published"
