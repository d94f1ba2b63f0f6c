"""The embedded default (SQLite, objects in a folder), and what a storage outage looks like."""

from pathlib import Path
from typing import IO, Any
from uuid import uuid4

import httpx
from documents_testing import message, path_and_query, pdf, submitted, upload_files

from bluemap_documents.bootstrap import bootstrap
from bluemap_documents.settings import DocumentsSettings
from bluemap_shared.messaging.transport import InProcessTransport
from bluemap_shared.runtime import running
from bluemap_shared.storage import FilesystemStorage
from bluemap_shared.testing import TokenIssuer as Issuer
from bluemap_shared.testing import eventually


class BrokenStorage(FilesystemStorage):
    """A disk that answers pings but fails every write, like a full volume."""

    async def put(self, key: str, source: IO[bytes], *, length: int, content_type: str, sha256: str) -> None:
        raise OSError(28, "No space left on device")


async def test_embedded_default_stores_under_data_dir(tmp_path: Path, issuer: Issuer) -> None:
    settings = DocumentsSettings(data_dir=tmp_path, environment="test")
    assert settings.objects_path == tmp_path / "objects"
    service = bootstrap(settings, InProcessTransport(), token_verifier=issuer.verifier)
    staff = issuer.staff("ipe", uuid4())
    data = pdf()
    async with (
        running(service.runtime),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://documents") as client,
    ):
        created = await client.post(
            "/v1/documents", files=upload_files(data), data={"kind": "supporting"}, headers=staff
        )
        assert created.status_code == 201, created.text
        content = await client.get(f"/v1/documents/{created.json()['id']}/content", headers=staff)
        assert content.content == data
        assert (await client.get("/readyz")).json()["checks"]["storage"] == "ok"
    assert (tmp_path / "documents.db").exists()


async def test_storage_failure_is_503_and_records_nothing(tmp_path: Path, issuer: Issuer) -> None:
    settings = DocumentsSettings(data_dir=tmp_path, environment="test")
    service = bootstrap(
        settings, InProcessTransport(), token_verifier=issuer.verifier, storage=BrokenStorage(tmp_path / "objects")
    )
    staff = issuer.staff("ipe", uuid4())
    async with (
        running(service.runtime),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://documents") as client,
    ):
        response = await client.post(
            "/v1/documents", files=upload_files(pdf()), data={"kind": "supporting"}, headers=staff
        )
        assert response.status_code == 503
        assert response.json()["type"].endswith("/storage-unavailable")
        assert (await client.get("/v1/documents", headers=staff)).json() == []


async def test_embedded_default_renders_a_submission(tmp_path: Path, issuer: Issuer) -> None:
    """SQLite has no row locks or FOR UPDATE: the render loop still renders each submission once."""
    settings = DocumentsSettings(data_dir=tmp_path, environment="test")
    service = bootstrap(settings, InProcessTransport(), token_verifier=issuer.verifier)
    enterprise = uuid4()
    event = submitted(enterprise)
    async with (
        running(service.runtime),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://documents") as client,
    ):
        await service.runtime.consumer.process(message(event, "ipe"))
        await service.render_worker.render_due()  # racing the live loop must not render twice

        async def state() -> dict[str, Any] | None:
            response = await client.get(
                f"/v1/submissions/{event.submission_id}", headers=issuer.staff("ipe", enterprise)
            )
            body: dict[str, Any] = response.json()
            return body if body["status"] == "rendered" else None

        rendered = await eventually(state, timeout=30)
        pdf = await client.get(path_and_query(rendered["download_url"]))
        assert pdf.content.startswith(b"%PDF-")
        assert (await client.get(f"/v1/verify/{rendered['verification_code']}")).json()["status"] == "rendered"
        listed = await client.get(
            "/v1/documents", params={"kind": "public-explanation"}, headers=issuer.staff("ipe", enterprise)
        )
        assert len(listed.json()) == 1
