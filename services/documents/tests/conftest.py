"""Fixtures of the documents tests: our own token issuer, the service on PostgreSQL, a bucket per session."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from documents_testing import MAX_PDF_PAGES, MAX_UPLOAD_BYTES, PUBLIC_BASE_URL, CountingS3Storage, Running
from minio import Minio

from bluemap_documents.bootstrap import bootstrap
from bluemap_documents.settings import DocumentsSettings
from bluemap_shared.messaging.transport import InProcessTransport
from bluemap_shared.runtime import running
from bluemap_shared.storage import ObjectStorage
from bluemap_shared.testing import TokenIssuer as Issuer


@pytest.fixture(scope="session")
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture(scope="session")
def s3_bucket(servers: dict[str, str]) -> Iterator[str]:
    """A bucket of this test session alone (the service creates it at start), emptied and removed after."""
    name = f"t-docs-{uuid.uuid4().hex[:12]}"
    yield name
    client = Minio(
        servers["BLUEMAP_S3_ENDPOINT"],
        access_key=servers["BLUEMAP_S3_ACCESS_KEY"],
        secret_key=servers["BLUEMAP_S3_SECRET_KEY"],
        secure=False,
    )
    if client.bucket_exists(name):
        for item in client.list_objects(name, recursive=True):
            if item.object_name:
                client.remove_object(name, item.object_name)
        client.remove_bucket(name)


async def _serve(
    settings: DocumentsSettings, issuer: Issuer, storage: ObjectStorage | None = None, *, render_loop: bool = True
) -> AsyncIterator[Running]:
    service = bootstrap(settings, InProcessTransport(), token_verifier=issuer.verifier, storage=storage)
    if not render_loop:
        # The test renders with render_worker.render_due(), so it can look at a submission before its PDF exists.
        service.runtime.background.remove(service.render_worker.run)
    async with (
        running(service.runtime),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://documents") as client,
    ):
        yield Running(service=service, client=client)


@pytest.fixture(scope="module")
async def fs_documents(
    create_database: Callable[[str], Awaitable[str]], issuer: Issuer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Running]:
    """The service with the filesystem backend on a fresh PostgreSQL database."""
    settings = DocumentsSettings(
        database_url=await create_database("documents"),
        environment="test",
        storage_backend="filesystem",
        storage_path=tmp_path_factory.mktemp("objects"),
        max_upload_bytes=MAX_UPLOAD_BYTES,
    )
    async for app in _serve(settings, issuer):
        yield app


@pytest.fixture(scope="module")
async def s3_documents(
    create_database: Callable[[str], Awaitable[str]], issuer: Issuer, servers: dict[str, str], s3_bucket: str
) -> AsyncIterator[Running]:
    """The service with the S3 backend against the real S3 server, counting its puts."""
    settings = DocumentsSettings(
        database_url=await create_database("documents"),
        environment="test",
        storage_backend="s3",
        s3_endpoint=servers["BLUEMAP_S3_ENDPOINT"],
        s3_access_key=servers["BLUEMAP_S3_ACCESS_KEY"],
        s3_secret_key=servers["BLUEMAP_S3_SECRET_KEY"],
        s3_bucket=s3_bucket,
        max_upload_bytes=MAX_UPLOAD_BYTES,
    )
    storage = CountingS3Storage(
        settings.s3_endpoint,
        settings.s3_access_key,
        settings.s3_secret_key.get_secret_value(),
        settings.s3_bucket,
        secure=settings.s3_secure,
        region=settings.s3_region,
    )
    async for app in _serve(settings, issuer, storage):
        yield app


@pytest.fixture
def tenant() -> str:
    """A tenant of this test alone."""
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def objects_root(fs_documents: Running) -> Path:
    root = fs_documents.service.storage.root  # type: ignore[attr-defined]
    assert isinstance(root, Path)
    return root


@pytest.fixture(scope="module")
async def workflow(
    create_database: Callable[[str], Awaitable[str]], issuer: Issuer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Running]:
    """The service on PostgreSQL with the filesystem backend; rendering only when the test says so."""
    settings = DocumentsSettings(
        database_url=await create_database("documents"),
        environment="test",
        storage_backend="filesystem",
        storage_path=tmp_path_factory.mktemp("objects"),
        max_upload_bytes=MAX_UPLOAD_BYTES,
        max_pdf_pages=MAX_PDF_PAGES,
        public_base_url=PUBLIC_BASE_URL,
    )
    async for app in _serve(settings, issuer, render_loop=False):
        yield app


@pytest.fixture(scope="module")
async def s3_workflow(
    create_database: Callable[[str], Awaitable[str]], issuer: Issuer, servers: dict[str, str], s3_bucket: str
) -> AsyncIterator[Running]:
    """The service on PostgreSQL and the real S3 server; rendering only when the test says so."""
    settings = DocumentsSettings(
        database_url=await create_database("documents"),
        environment="test",
        storage_backend="s3",
        s3_endpoint=servers["BLUEMAP_S3_ENDPOINT"],
        s3_access_key=servers["BLUEMAP_S3_ACCESS_KEY"],
        s3_secret_key=servers["BLUEMAP_S3_SECRET_KEY"],
        s3_bucket=s3_bucket,
        max_upload_bytes=MAX_UPLOAD_BYTES,
        max_pdf_pages=MAX_PDF_PAGES,
        public_base_url=PUBLIC_BASE_URL,
    )
    async for app in _serve(settings, issuer, render_loop=False):
        yield app
