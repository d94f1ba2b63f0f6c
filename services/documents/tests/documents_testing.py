"""Helpers of the documents tests (a module name of its own: pytest puts every tests folder on sys.path)."""

import os
from dataclasses import dataclass
from typing import IO, Any

import httpx

from bluemap_documents.bootstrap import DocumentsService
from bluemap_shared.storage import S3Storage

# Small, so over-limit uploads stay cheap; big enough that a file spans several network chunks.
MAX_UPLOAD_BYTES = 256 * 1024


@dataclass
class Running:
    service: DocumentsService
    client: httpx.AsyncClient


class CountingS3Storage(S3Storage):
    """The real S3 storage, counting the objects it writes: deduplication must skip the second put."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.puts: list[str] = []

    async def put(self, key: str, source: IO[bytes], *, length: int, content_type: str) -> None:
        self.puts.append(key)
        await super().put(key, source, length=length, content_type=content_type)


def pdf(size: int = 2048) -> bytes:
    """A PDF-looking blob of its own: random bytes after the magic, so no two tests share an object."""
    return b"%PDF-1.7\n" + os.urandom(max(0, size - 9))


def upload_files(data: bytes, filename: str = "测试.pdf", content_type: str = "application/pdf") -> dict[str, Any]:
    return {"file": (filename, data, content_type)}
