"""Object storage under concurrent writers: every put of the same bytes succeeds and the object stays whole."""

import asyncio
import hashlib
import io
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from minio import Minio

from bluemap_shared.storage import FilesystemStorage, ObjectStorage, S3Storage, StorageIntegrityError

pytestmark = pytest.mark.integration

# Big enough that a write spans many chunks, so concurrent writers interleave.
SIZE = 19 * 1024 * 1024
WRITERS = 12


@pytest.fixture(scope="module")
def blob() -> tuple[bytes, str]:
    data = os.urandom(SIZE)
    return data, hashlib.sha256(data).hexdigest()


@pytest.fixture
async def s3_storage(servers: dict[str, str]) -> AsyncIterator[S3Storage]:
    bucket = f"t-storage-{uuid.uuid4().hex[:12]}"
    endpoint, access, secret = (
        servers[k] for k in ("BLUEMAP_S3_ENDPOINT", "BLUEMAP_S3_ACCESS_KEY", "BLUEMAP_S3_SECRET_KEY")
    )
    storage = S3Storage(endpoint, access, secret, bucket)
    await storage.ensure_bucket()
    yield storage
    client = Minio(endpoint, access_key=access, secret_key=secret, secure=False)
    for item in client.list_objects(bucket, recursive=True):
        if item.object_name:
            client.remove_object(bucket, item.object_name)
    client.remove_bucket(bucket)


async def _read_all(storage: ObjectStorage, key: str) -> bytes:
    return b"".join([chunk async for chunk in storage.read(key)])


async def _concurrent_puts(storage: ObjectStorage, key: str, data: bytes, sha256: str) -> None:
    results = await asyncio.gather(
        *(
            storage.put(key, io.BytesIO(data), length=len(data), content_type="application/pdf", sha256=sha256)
            for _ in range(WRITERS)
        ),
        return_exceptions=True,
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    stored = await _read_all(storage, key)
    assert len(stored) == len(data)
    assert hashlib.sha256(stored).hexdigest() == sha256


async def test_filesystem_concurrent_identical_puts_all_succeed(tmp_path: Path, blob: tuple[bytes, str]) -> None:
    data, sha256 = blob
    storage = FilesystemStorage(tmp_path)
    await _concurrent_puts(storage, f"sha256/{sha256}", data, sha256)
    # No temporary file is left next to the object.
    assert [p.name for p in (tmp_path / "sha256").iterdir()] == [sha256]


async def test_filesystem_put_while_stored_keeps_the_object_whole(tmp_path: Path, blob: tuple[bytes, str]) -> None:
    """A writer arriving after the object is stored never truncates it under a reader."""
    data, sha256 = blob
    storage = FilesystemStorage(tmp_path)
    key = f"sha256/{sha256}"
    await storage.put(key, io.BytesIO(data), length=len(data), content_type="application/pdf", sha256=sha256)

    async def read_while_writing() -> None:
        for _ in range(4):
            stored = await _read_all(storage, key)
            assert hashlib.sha256(stored).hexdigest() == sha256

    await asyncio.gather(read_while_writing(), _concurrent_puts(storage, key, data, sha256))


async def test_filesystem_refuses_bytes_that_do_not_match_their_digest(tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path)
    data = b"%PDF-1.7 not what the key says"
    wrong = hashlib.sha256(b"other bytes").hexdigest()
    with pytest.raises(StorageIntegrityError):
        await storage.put(
            f"sha256/{wrong}", io.BytesIO(data), length=len(data), content_type="text/plain", sha256=wrong
        )
    assert not await storage.exists(f"sha256/{wrong}")
    assert list((tmp_path / "sha256").iterdir()) == []


async def test_filesystem_refuses_a_short_source(tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path)
    data = b"0123456789"
    sha256 = hashlib.sha256(data).hexdigest()
    with pytest.raises(StorageIntegrityError):
        await storage.put(
            f"k/{sha256}", io.BytesIO(data[:5]), length=len(data), content_type="text/plain", sha256=sha256
        )
    assert not await storage.exists(f"k/{sha256}")


async def test_s3_concurrent_identical_puts_all_succeed(s3_storage: S3Storage, blob: tuple[bytes, str]) -> None:
    data, sha256 = blob
    await _concurrent_puts(s3_storage, f"sha256/{sha256}", data, sha256)


async def test_s3_refuses_bytes_that_do_not_match_their_digest(s3_storage: S3Storage) -> None:
    data = os.urandom(1024)
    wrong = hashlib.sha256(b"other bytes").hexdigest()
    with pytest.raises(StorageIntegrityError):
        await s3_storage.put(
            f"sha256/{wrong}", io.BytesIO(data), length=len(data), content_type="text/plain", sha256=wrong
        )
    assert not await s3_storage.exists(f"sha256/{wrong}")
