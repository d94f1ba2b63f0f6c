"""Object storage: S3 through the minio SDK, or a folder for the embedded default."""

import asyncio
import hashlib
import io
import itertools
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote

from minio import Minio
from minio.error import S3Error

CHUNK = 1024 * 1024
# Parts of 16 MiB keep a streamed upload's memory flat while staying well under S3's 10,000 parts.
PART_SIZE = 16 * 1024 * 1024


class StorageIntegrityError(Exception):
    """The bytes written are not the bytes announced (length or SHA-256); nothing was stored."""


class _VerifyingReader:
    """A source that hashes what is read and raises once `length` bytes do not match `sha256`."""

    def __init__(self, source: BinaryIO, *, length: int, sha256: str) -> None:
        self._source = source
        self._length = length
        self._sha256 = sha256
        self._digest = hashlib.sha256()
        self._count = 0

    def read(self, size: int = -1) -> bytes:
        block = self._source.read(size)
        self._digest.update(block)
        self._count += len(block)
        # Checked when the last byte is handed out, before the writer can publish the object.
        if self._count >= self._length or (not block and size != 0):
            self.verify()
        return block

    def verify(self) -> None:
        if self._count != self._length:
            raise StorageIntegrityError(f"expected {self._length} bytes, read {self._count}")
        if self._digest.hexdigest() != self._sha256:
            raise StorageIntegrityError(f"SHA-256 {self._digest.hexdigest()} does not match {self._sha256}")


# Keys a listing asks the server for at once.
LIST_PAGE = 1000


@dataclass(frozen=True)
class StoredObject:
    """One object of a listing: its key and when it was last written."""

    key: str
    modified: datetime


class ObjectStorage(Protocol):
    """Immutable blobs under keys; content addressing is the caller's choice of key."""

    async def put(self, key: str, source: BinaryIO, *, length: int, content_type: str, sha256: str) -> None:
        """Store exactly `length` bytes whose SHA-256 is `sha256`, atomically; StorageIntegrityError otherwise."""

    async def exists(self, key: str) -> bool: ...

    def read(self, key: str) -> AsyncIterator[bytes]: ...

    async def download_url(self, key: str, *, filename: str, expires: timedelta) -> str | None:
        """A URL the client may fetch directly, or None when the service must stream it."""

    async def ping(self) -> None: ...

    def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        """Every object whose key starts with prefix, a page at a time."""

    async def delete(self, key: str) -> None:
        """Remove the object; removing one that is not there is no error."""


async def _pages(items: Iterator[StoredObject]) -> AsyncIterator[StoredObject]:
    """A blocking iterator read LIST_PAGE items at a time in a worker thread."""
    while page := await asyncio.to_thread(lambda: list(itertools.islice(items, LIST_PAGE))):
        for item in page:
            yield item


class S3Storage:
    """Any S3 server (MinIO, s3proxy, SeaweedFS, AWS) through the minio SDK."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str = "us-east-1",
        public_endpoint: str | None = None,
    ) -> None:
        self._client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        # Presigned URLs are signed for the host the browser will use, which may differ in Docker.
        self._signer = (
            Minio(public_endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
            if public_endpoint
            else self._client
        )
        self.bucket = bucket

    async def ensure_bucket(self) -> None:
        def create() -> None:
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket)
                except S3Error as exc:
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise

        await asyncio.to_thread(create)

    async def put(self, key: str, source: BinaryIO, *, length: int, content_type: str, sha256: str) -> None:
        # S3 makes each PUT (or completed multipart upload) visible whole, so concurrent writers of a
        # key never mix; the reader raises before the last part leaves, so wrong bytes never complete.
        await asyncio.to_thread(
            self._client.put_object,
            self.bucket,
            key,
            _VerifyingReader(source, length=length, sha256=sha256),  # type: ignore[arg-type]
            length,
            content_type=content_type,
            part_size=PART_SIZE,
        )

    async def exists(self, key: str) -> bool:
        try:
            await asyncio.to_thread(self._client.stat_object, self.bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return False
            raise
        return True

    async def read(self, key: str) -> AsyncIterator[bytes]:
        response = await asyncio.to_thread(self._client.get_object, self.bucket, key)
        try:
            while chunk := await asyncio.to_thread(response.read, CHUNK):
                yield chunk
        finally:
            response.close()
            response.release_conn()

    async def download_url(self, key: str, *, filename: str, expires: timedelta) -> str | None:
        disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
        return await asyncio.to_thread(
            self._signer.presigned_get_object,
            self.bucket,
            key,
            expires=expires,
            response_headers={"response-content-disposition": disposition},
        )

    async def ping(self) -> None:
        await asyncio.to_thread(self._client.bucket_exists, self.bucket)

    async def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        listing = self._client.list_objects(self.bucket, prefix=prefix, recursive=True)
        objects = (StoredObject(o.object_name, o.last_modified or datetime.now(UTC)) for o in listing if o.object_name)
        async for item in _pages(objects):
            yield item

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._client.remove_object, self.bucket, key)

    async def content_type(self, key: str) -> str:
        """The Content-Type the object was stored with (downloads are served with it)."""
        stat = await asyncio.to_thread(self._client.stat_object, self.bucket, key)
        return stat.content_type or "application/octet-stream"


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable: the directory entry is on disk, not only in the page cache."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FilesystemStorage:
    """The embedded default: one file per key under a root folder, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key escapes the storage root: {key!r}")
        return path

    async def put(self, key: str, source: BinaryIO, *, length: int, content_type: str, sha256: str) -> None:
        def write() -> None:
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            # A temporary file of this writer alone: concurrent writers of one key never share or truncate one.
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
            partial = Path(name)
            try:
                reader = _VerifyingReader(source, length=length, sha256=sha256)
                with os.fdopen(fd, "wb") as out:
                    while block := reader.read(CHUNK):
                        out.write(block)
                    reader.verify()
                    out.flush()
                    os.fsync(out.fileno())
                # Atomic: readers see the old object or the new one, both whole (same bytes, same key).
                os.replace(partial, path)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            _fsync_directory(path.parent)

        await asyncio.to_thread(write)

    async def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    async def read(self, key: str) -> AsyncIterator[bytes]:
        handle: io.BufferedReader = await asyncio.to_thread(self._path(key).open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            handle.close()

    async def download_url(self, key: str, *, filename: str, expires: timedelta) -> str | None:
        return None

    async def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        def walk() -> Iterator[StoredObject]:
            for directory, _dirs, files in os.walk(self.root):
                for name in files:
                    if name.endswith(".partial"):
                        continue  # a write under way
                    path = Path(directory, name)
                    key = path.relative_to(self.root).as_posix()
                    if key.startswith(prefix):
                        yield StoredObject(key, datetime.fromtimestamp(path.stat().st_mtime, UTC))

        async for item in _pages(walk()):
            yield item

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def ping(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise PermissionError(f"storage root not writable: {self.root}")
