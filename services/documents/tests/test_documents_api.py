"""The documents API in-process on real PostgreSQL, with the filesystem backend."""

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any
from uuid import uuid4

import orjson
import pytest
from documents_testing import (
    MAX_UPLOAD_BYTES,
    Running,
    additional_actions_pdf,
    embedded_file_pdf,
    javascript_open_action_pdf,
    obfuscated_javascript_pdf,
    pdf,
    truncated_pdf,
    upload_files,
)
from sqlmodel import col, select

from bluemap_documents.documents.content import storage_key
from bluemap_shared.auth import ADMIN, ENTERPRISE, REVIEWER
from bluemap_shared.events.catalog import DocumentStored
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging.models import OutboxMessage
from bluemap_shared.testing import TokenIssuer as Issuer

pytestmark = pytest.mark.integration


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].endswith("/" + slug)
    return body


async def upload(
    app: Running, headers: dict[str, str], data: bytes, *, kind: str = "supporting", **file: str
) -> dict[str, Any]:
    response = await app.client.post(
        "/v1/documents", files=upload_files(data, **file), data={"kind": kind}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def stored_events(app: Running, tenant: str) -> list[dict[str, Any]]:
    async with app.service.runtime.sessionmaker() as session:
        rows = await session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.tenant_id == tenant, OutboxMessage.event_type == DocumentStored.event_type)
            .order_by(col(OutboxMessage.id))
        )
        return [orjson.loads(row.payload) for row in rows]


def object_path(root: Path, tenant: str, data: bytes) -> Path:
    return root / storage_key(tenant, hashlib.sha256(data).hexdigest())


async def test_upload_then_read_back(fs_documents: Running, issuer: Issuer, tenant: str, objects_root: Path) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise, subject="wang-wu")
    data = pdf(200 * 1024)  # several network chunks, under the limit
    # The browser's label is ignored: the bytes say PDF.
    created = await upload(
        fs_documents, staff, data, kind="signed-explanation", content_type="application/octet-stream"
    )
    digest = hashlib.sha256(data).hexdigest()
    assert {k: v for k, v in created.items() if k not in ("id", "created_at")} == {
        "tenant_id": tenant,
        "enterprise_id": str(enterprise),
        "kind": "signed-explanation",
        "filename": "测试.pdf",
        "content_type": "application/pdf",
        "size": len(data),
        "sha256": digest,
        "uploaded_by": "wang-wu",
        "status": "stored",
        "category": None,
        "record_ids": [],
        "submission_id": None,
        "pages": 1,  # a PDF, checked like any other
    }
    assert object_path(objects_root, tenant, data).read_bytes() == data

    metadata = await fs_documents.client.get(f"/v1/documents/{created['id']}", headers=staff)
    assert metadata.status_code == 200
    assert metadata.json() == created

    content = await fs_documents.client.get(f"/v1/documents/{created['id']}/content", headers=staff)
    assert content.status_code == 200
    assert content.content == data
    assert content.headers["content-type"] == "application/pdf"
    assert content.headers["content-disposition"] == (
        "attachment; filename=\"__.pdf\"; filename*=UTF-8''%E6%B5%8B%E8%AF%95.pdf"
    )
    assert content.headers["x-content-type-options"] == "nosniff"
    assert content.headers["content-length"] == str(len(data))

    [event] = await stored_events(fs_documents, tenant)
    assert event["document_id"] == created["id"]
    assert (event["enterprise_id"], event["kind"], event["filename"]) == (
        str(enterprise),
        "signed-explanation",
        "测试.pdf",
    )
    assert (event["sha256"], event["size"], event["content_type"]) == (digest, len(data), "application/pdf")


async def test_unsafe_names_are_sanitised(fs_documents: Running, issuer: Issuer, tenant: str) -> None:
    staff = issuer.staff(tenant, uuid4())
    created = await upload(fs_documents, staff, pdf(), filename="../../整改\u202e报告.pdf")
    assert created["filename"] == "整改报告.pdf"


async def test_same_bytes_are_stored_once(
    fs_documents: Running, issuer: Issuer, tenant: str, objects_root: Path
) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    data = pdf()
    first = await upload(fs_documents, staff, data, filename="a.pdf")
    inode = object_path(objects_root, tenant, data).stat().st_ino
    second = await upload(fs_documents, issuer.staff(f"{tenant}-x", uuid4()), data, filename="b.pdf")
    # A rewrite would have replaced the file (atomic rename: a new inode).
    assert object_path(objects_root, tenant, data).stat().st_ino == inode
    assert first["id"] != second["id"]
    assert first["sha256"] == second["sha256"]
    assert (first["filename"], second["filename"]) == ("a.pdf", "b.pdf")


async def test_concurrent_uploads_of_the_same_bytes_all_succeed(
    fs_documents: Running, issuer: Issuer, tenant: str, objects_root: Path
) -> None:
    """Twelve writers of one object at once (each its own temporary file): every upload is 201, the object whole."""
    staff = issuer.staff(tenant, uuid4())
    data = pdf(MAX_UPLOAD_BYTES)
    responses = await asyncio.gather(
        *(
            fs_documents.client.post(
                "/v1/documents", files=upload_files(data), data={"kind": "supporting"}, headers=staff
            )
            for _ in range(12)
        )
    )
    assert [r.status_code for r in responses] == [201] * 12
    path = object_path(objects_root, tenant, data)
    assert path.read_bytes() == data
    assert [p.name for p in path.parent.iterdir()] == [path.name]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (javascript_open_action_pdf, "javascript"),
        (obfuscated_javascript_pdf, "javascript"),
        (additional_actions_pdf, "javascript"),
        (embedded_file_pdf, "embedded-file"),
        (truncated_pdf, "truncated"),
    ],
)
async def test_a_pdf_without_category_is_checked_like_a_supporting_one(
    fs_documents: Running, issuer: Issuer, tenant: str, objects_root: Path, make: Any, reason: str
) -> None:
    """Every stored application/pdf is shown inline to reviewers, so none skips the PDF checks."""
    staff = issuer.staff(tenant, uuid4())
    data = make()
    for declared in ("application/pdf", "application/octet-stream"):
        response = await fs_documents.client.post(
            "/v1/documents", files=upload_files(data, content_type=declared), data={"kind": "other"}, headers=staff
        )
        body = assert_problem(response, 422, "pdf-refused")
        assert body["reason"] == reason
    assert not object_path(objects_root, tenant, data).exists()
    assert await stored_events(fs_documents, tenant) == []


@pytest.mark.parametrize("size", [MAX_UPLOAD_BYTES + 1, MAX_UPLOAD_BYTES + 40 * 1024, 3 * MAX_UPLOAD_BYTES])
async def test_over_the_limit_is_413_and_nothing_is_stored(
    fs_documents: Running, issuer: Issuer, tenant: str, objects_root: Path, size: int
) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    data = pdf(size)
    response = await fs_documents.client.post(
        "/v1/documents", files=upload_files(data), data={"kind": "supporting"}, headers=staff
    )
    problem = assert_problem(response, 413, "payload-too-large")
    assert problem["max_upload_bytes"] == MAX_UPLOAD_BYTES
    assert not object_path(objects_root, tenant, data).exists()
    assert (await fs_documents.client.get("/v1/documents", headers=staff)).json() == []
    assert await stored_events(fs_documents, tenant) == []


async def test_exactly_the_limit_is_accepted(fs_documents: Running, issuer: Issuer, tenant: str) -> None:
    created = await upload(fs_documents, issuer.staff(tenant, uuid4()), pdf(MAX_UPLOAD_BYTES))
    assert created["size"] == MAX_UPLOAD_BYTES


@pytest.mark.parametrize(
    ("files", "form", "status", "slug"),
    [
        ({"file": ("empty.pdf", b"", "application/pdf")}, {"kind": "supporting"}, 422, "invalid-input"),
        ({"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}, {}, 422, "invalid-input"),
        ({"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}, {"kind": "Supporting Docs"}, 422, "invalid-input"),
        ({"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}, {"kind": "../x"}, 422, "invalid-input"),
        (None, {"kind": "supporting"}, 422, "invalid-input"),
    ],
)
async def test_bad_uploads_are_refused(
    fs_documents: Running,
    issuer: Issuer,
    tenant: str,
    files: dict[str, Any] | None,
    form: dict[str, str],
    status: int,
    slug: str,
) -> None:
    staff = issuer.staff(tenant, uuid4())
    if files is None:
        # A form without a file is urlencoded by httpx; force multipart with a text part named file.
        files = {"file": (None, b"just text")}
    response = await fs_documents.client.post("/v1/documents", files=files, data=form, headers=staff)
    assert_problem(response, status, slug)
    assert await stored_events(fs_documents, tenant) == []


async def test_only_multipart_is_accepted(fs_documents: Running, issuer: Issuer, tenant: str) -> None:
    response = await fs_documents.client.post(
        "/v1/documents", json={"kind": "supporting"}, headers=issuer.staff(tenant, uuid4())
    )
    assert_problem(response, 415, "unsupported-media-type")


@pytest.mark.parametrize(
    ("declared", "data", "expected"),
    [
        ("text/plain; charset=utf-8", "整改措施\n".encode(), "text/plain"),
        ("text/html", b"<html><script>alert(1)</script>", "application/octet-stream"),
        ("image/png", b"\x89PNG\r\n\x1a\n" + os.urandom(64), "image/png"),
        ("application/pdf", b"not really a pdf" + os.urandom(16), "application/octet-stream"),
    ],
)
async def test_content_type_comes_from_the_bytes(
    fs_documents: Running, issuer: Issuer, tenant: str, declared: str, data: bytes, expected: str
) -> None:
    staff = issuer.staff(tenant, uuid4())
    created = await upload(fs_documents, staff, data, filename="f", content_type=declared)
    assert created["content_type"] == expected
    content = await fs_documents.client.get(f"/v1/documents/{created['id']}/content", headers=staff)
    assert content.headers["content-type"].split(";")[0] == expected


async def test_list_is_newest_first(fs_documents: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    ids = [
        (await upload(fs_documents, staff, pdf(), kind=kind))["id"]
        for kind in ("supporting", "eia-report", "supporting")
    ]
    await upload(fs_documents, issuer.staff(tenant, uuid4()), pdf())  # another enterprise's

    listed = (await fs_documents.client.get("/v1/documents", headers=staff)).json()
    assert [d["id"] for d in listed] == ids[::-1]
    page = (await fs_documents.client.get("/v1/documents", params={"limit": 2}, headers=staff)).json()
    assert [d["id"] for d in page] == ids[:0:-1]
    rest = (await fs_documents.client.get("/v1/documents", params={"before": page[-1]["id"]}, headers=staff)).json()
    assert [d["id"] for d in rest] == ids[:1]
    supporting = (await fs_documents.client.get("/v1/documents", params={"kind": "supporting"}, headers=staff)).json()
    assert [d["id"] for d in supporting] == [ids[2], ids[0]]
    bad_limit = await fs_documents.client.get("/v1/documents", params={"limit": 0}, headers=staff)
    assert_problem(bad_limit, 422, "invalid-input")


async def test_operators_read_but_do_not_upload(fs_documents: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    data = pdf()
    created = await upload(fs_documents, issuer.staff(tenant, enterprise), data)
    for role in (ADMIN, REVIEWER):
        operator = issuer.headers(tenant, [role])
        assert (await fs_documents.client.get(f"/v1/documents/{created['id']}", headers=operator)).json() == created
        content = await fs_documents.client.get(f"/v1/documents/{created['id']}/content", headers=operator)
        assert content.content == data
        listed = await fs_documents.client.get(
            "/v1/documents", params={"enterprise_id": str(enterprise)}, headers=operator
        )
        assert [d["id"] for d in listed.json()] == [created["id"]]
        response = await fs_documents.client.post(
            "/v1/documents", files=upload_files(pdf()), data={"kind": "supporting"}, headers=operator
        )
        assert_problem(response, 403, "forbidden")


async def test_other_enterprises_and_tenants_see_nothing(fs_documents: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    created = await upload(fs_documents, issuer.staff(tenant, enterprise), pdf())
    strangers = {
        "other enterprise": issuer.staff(tenant, uuid4()),
        "other tenant, same enterprise id": issuer.staff(f"{tenant}-x", enterprise),
        "other tenant's operator": issuer.headers(f"{tenant}-x", [ADMIN]),
        "no role": issuer.headers(tenant, [], enterprise),
    }
    for who, headers in strangers.items():
        for path in (f"/v1/documents/{created['id']}", f"/v1/documents/{created['id']}/content"):
            response = await fs_documents.client.get(path, headers=headers)
            assert response.status_code == 404, (who, path)
            assert_problem(response, 404, "not-found")
        listed = await fs_documents.client.get(
            "/v1/documents", params={"enterprise_id": str(enterprise)}, headers=headers
        )
        assert listed.status_code == 200, who
        assert listed.json() == [], who


async def test_enterprise_role_without_an_enterprise_cannot_upload(
    fs_documents: Running, issuer: Issuer, tenant: str
) -> None:
    response = await fs_documents.client.post(
        "/v1/documents",
        files=upload_files(pdf()),
        data={"kind": "supporting"},
        headers=issuer.headers(tenant, [ENTERPRISE]),
    )
    assert_problem(response, 403, "forbidden")


async def test_unknown_document_is_not_found(fs_documents: Running, issuer: Issuer, tenant: str) -> None:
    staff = issuer.staff(tenant, uuid4())
    for path in (f"/v1/documents/{uuid7()}", f"/v1/documents/{uuid7()}/content"):
        assert_problem(await fs_documents.client.get(path, headers=staff), 404, "not-found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/documents"),
        ("GET", "/v1/documents"),
        ("GET", "/v1/documents/{id}"),
        ("GET", "/v1/documents/{id}/content"),
    ],
)
async def test_no_token_is_unauthorized(fs_documents: Running, method: str, path: str) -> None:
    files = upload_files(pdf()) if method == "POST" else None
    response = await fs_documents.client.request(method, path.format(id=uuid7()), files=files)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_readiness_checks_storage(fs_documents: Running) -> None:
    response = await fs_documents.client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "storage": "ok", "cjk-font": "ok"}
