"""Object storage: S3 through the minio SDK, or a folder for the embedded default."""

import asyncio
import io
import os
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote

from minio import Minio
from minio.error import S3Error

CHUNK = 1024 * 1024
# Parts of 16 MiB keep a streamed upload's memory flat while staying well under S3's 10,000 parts.
PART_SIZE = 16 * 1024 * 1024


class ObjectStorage(Protocol):
    """Immutable blobs under keys; content addressing is the caller's choice of key."""

    async def put(self, key: str, source: BinaryIO, *, length: int, content_type: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    def read(self, key: str) -> AsyncIterator[bytes]: ...

    async def download_url(self, key: str, *, filename: str, expires: timedelta) -> str | None:
        """A URL the client may fetch directly, or None when the service must stream it."""

    async def ping(self) -> None: ...


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

    async def put(self, key: str, source: BinaryIO, *, length: int, content_type: str) -> None:
        await asyncio.to_thread(
            self._client.put_object,
            self.bucket,
            key,
            source,
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


class FilesystemStorage:
    """The embedded default: one file per key under a root folder, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key escapes the storage root: {key!r}")
        return path

    async def put(self, key: str, source: BinaryIO, *, length: int, content_type: str) -> None:
        def write() -> None:
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
            with partial.open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(path)

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

    async def ping(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise PermissionError(f"storage root not writable: {self.root}")
