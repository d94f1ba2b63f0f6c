"""The documents API against the real S3 server: presigned downloads, deduplication, the upload limit."""

import asyncio
import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import httpx
import pytest
from documents_testing import MAX_UPLOAD_BYTES, CountingS3Storage, Running, pdf, upload_files

from bluemap_documents.__main__ import main as documents_main
from bluemap_documents.documents.content import storage_key
from bluemap_documents.documents.garbage import Collected, ObjectCollector
from bluemap_documents.settings import DocumentsSettings
from bluemap_shared.storage import S3Storage
from bluemap_shared.testing import TokenIssuer as Issuer

pytestmark = pytest.mark.integration


def s3(app: Running) -> CountingS3Storage:
    storage = app.service.storage
    assert isinstance(storage, CountingS3Storage)
    return storage


async def upload(app: Running, headers: dict[str, str], data: bytes, filename: str = "测试.pdf") -> dict[str, Any]:
    response = await app.client.post(
        "/v1/documents", files=upload_files(data, filename), data={"kind": "supporting"}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_content_redirects_to_a_presigned_url_that_downloads_the_bytes(
    s3_documents: Running, issuer: Issuer, servers: dict[str, str]
) -> None:
    staff = issuer.staff("ipe", uuid4())
    data = pdf(200 * 1024)
    created = await upload(s3_documents, staff, data)

    response = await s3_documents.client.get(f"/v1/documents/{created['id']}/content", headers=staff)
    assert response.status_code == 307
    assert response.headers["cache-control"] == "no-store"
    location = response.headers["location"]
    assert urlsplit(location).netloc == servers["BLUEMAP_S3_ENDPOINT"]
    assert "X-Amz-Signature=" in location

    async with httpx.AsyncClient(timeout=30) as client:
        downloaded = await client.get(location)
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == data
    assert hashlib.sha256(downloaded.content).hexdigest() == created["sha256"]
    assert downloaded.headers["content-type"] == "application/pdf"
    assert downloaded.headers["content-disposition"] == "attachment; filename*=UTF-8''%E6%B5%8B%E8%AF%95.pdf"


async def test_a_presigned_url_is_useless_once_tampered_with(s3_documents: Running, issuer: Issuer) -> None:
    staff = issuer.staff("ipe", uuid4())
    created = await upload(s3_documents, staff, pdf())
    location = (await s3_documents.client.get(f"/v1/documents/{created['id']}/content", headers=staff)).headers[
        "location"
    ]
    other_key = storage_key("ipe", hashlib.sha256(b"someone else's file").hexdigest())
    tampered = location.replace(created["sha256"], other_key.rsplit("/", 1)[-1], 1)
    async with httpx.AsyncClient(timeout=30) as client:
        assert (await client.get(tampered)).status_code == 403


async def test_the_same_bytes_are_stored_once_per_tenant(s3_documents: Running, issuer: Issuer) -> None:
    storage = s3(s3_documents)
    data = pdf()
    digest = hashlib.sha256(data).hexdigest()
    first = await upload(s3_documents, issuer.staff("ipe", uuid4()), data, "a.pdf")
    again = await upload(s3_documents, issuer.staff("ipe", uuid4()), data, "c.pdf")
    second = await upload(s3_documents, issuer.staff("other-tenant", uuid4()), data, "b.pdf")
    # One object per tenant: deleting one tenant's objects never takes another's.
    assert storage.puts.count(storage_key("ipe", digest)) == 1
    assert storage.puts.count(storage_key("other-tenant", digest)) == 1
    assert len({first["id"], again["id"], second["id"]}) == 3
    assert first["sha256"] == second["sha256"]
    for tenant in ("ipe", "other-tenant"):
        chunks = [chunk async for chunk in storage.read(storage_key(tenant, digest))]
        assert b"".join(chunks) == data


async def test_over_the_limit_is_413_and_nothing_is_stored(s3_documents: Running, issuer: Issuer) -> None:
    storage = s3(s3_documents)
    staff = issuer.staff("ipe", uuid4())
    data = pdf(MAX_UPLOAD_BYTES + 1)
    puts_before = len(storage.puts)
    response = await s3_documents.client.post(
        "/v1/documents", files=upload_files(data), data={"kind": "supporting"}, headers=staff
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert len(storage.puts) == puts_before
    assert not await storage.exists(storage_key("ipe", hashlib.sha256(data).hexdigest()))
    assert (await s3_documents.client.get("/v1/documents", headers=staff)).json() == []


async def test_readiness_checks_the_bucket(s3_documents: Running) -> None:
    response = await s3_documents.client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["storage"] == "ok"


async def test_objects_no_document_references_are_collected_after_the_grace(
    s3_documents: Running, issuer: Issuer, servers: dict[str, str]
) -> None:
    # A bucket of its own: a collection past the grace would take the other tests' objects.
    storage = S3Storage(
        servers["BLUEMAP_S3_ENDPOINT"],
        servers["BLUEMAP_S3_ACCESS_KEY"],
        servers["BLUEMAP_S3_SECRET_KEY"],
        f"t-gc-{uuid4().hex[:12]}",
    )
    await storage.ensure_bucket()
    # The module's service stores there during this test (it is shared by the module: put back after).
    shared_storage = s3_documents.service.app.state.storage
    s3_documents.service.app.state.storage = storage
    try:
        kept = await upload(s3_documents, issuer.staff("ipe", uuid4()), pdf())
        orphan_bytes = b"left behind by an upload whose transaction rolled back"
        orphan = storage_key("ipe", hashlib.sha256(orphan_bytes).hexdigest())
        await storage.put(
            orphan,
            io.BytesIO(orphan_bytes),
            length=len(orphan_bytes),
            content_type="application/pdf",
            sha256=hashlib.sha256(orphan_bytes).hexdigest(),
        )
        sessionmaker = s3_documents.service.runtime.sessionmaker

        within_grace = ObjectCollector(sessionmaker, storage, grace=timedelta(hours=1), interval_seconds=3600)
        assert await within_grace.collect() == Collected(listed=2, deleted=0)
        assert await storage.exists(orphan)

        past_grace = ObjectCollector(sessionmaker, storage, grace=timedelta(0), interval_seconds=3600)
        assert await past_grace.collect() == Collected(listed=2, deleted=1)
        assert not await storage.exists(orphan)
        assert [o.key async for o in storage.list("tenants/ipe/")] == [storage_key("ipe", kept["sha256"])]
        await storage.delete(storage_key("ipe", kept["sha256"]))
    finally:
        s3_documents.service.app.state.storage = shared_storage


async def test_a_tenant_is_exported_then_deleted_rows_and_objects_and_no_other_tenant_is_touched(
    s3_documents: Running, issuer: Issuer, servers: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaving, staying = f"leaving-{uuid4().hex[:6]}", f"staying-{uuid4().hex[:6]}"
    leaving_staff, staying_staff = issuer.staff(leaving, uuid4()), issuer.staff(staying, uuid4())
    files = [pdf(1000 + n) for n in range(3)]
    mine = [await upload(s3_documents, leaving_staff, data) for data in files]
    theirs = await upload(s3_documents, staying_staff, files[0])  # the same bytes as one of mine
    storage = s3(s3_documents)
    settings = s3_documents.service.runtime.settings
    assert isinstance(settings, DocumentsSettings)
    for name, value in {
        "DATABASE_URL": settings.database_url,
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT": servers["BLUEMAP_S3_ENDPOINT"],
        "S3_ACCESS_KEY": servers["BLUEMAP_S3_ACCESS_KEY"],
        "S3_SECRET_KEY": servers["BLUEMAP_S3_SECRET_KEY"],
        "S3_BUCKET": storage.bucket,
    }.items():
        monkeypatch.setenv(f"BLUEMAP_DOCUMENTS_{name}", value)

    def run(*argv: str) -> int:
        with pytest.raises(SystemExit) as exit_:
            documents_main(["tenant-data", *argv])
        return int(exit_.value.code or 0)

    assert await asyncio.to_thread(run, "export", "--tenant", leaving, "--to", str(tmp_path)) == 0
    exported = [json.loads(line) for line in (tmp_path / "documents.jsonl").read_text().splitlines()]
    assert sorted(row["id"] for row in exported) == sorted(document["id"] for document in mine)
    for document, data in zip(mine, files, strict=True):
        assert (tmp_path / "objects" / storage_key(leaving, document["sha256"])).read_bytes() == data

    assert await asyncio.to_thread(run, "delete", "--tenant", leaving, "--confirm", "someone-else") == 2
    assert await asyncio.to_thread(run, "delete", "--tenant", leaving, "--confirm", leaving) == 0
    assert [o async for o in storage.list(f"tenants/{leaving}/")] == []
    assert (await s3_documents.client.get(f"/v1/documents/{mine[0]['id']}", headers=leaving_staff)).status_code == 404
    kept = await s3_documents.client.get(f"/v1/documents/{theirs['id']}/content", headers=staying_staff)
    assert kept.status_code == 307, kept.text
    assert await storage.exists(storage_key(staying, theirs["sha256"]))
