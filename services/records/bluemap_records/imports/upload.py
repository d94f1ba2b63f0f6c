"""Receiving an import file: the multipart body streamed to a temporary file, refused past the limit."""

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import BinaryIO

from fastapi import Request
from python_multipart.multipart import parse_options_header
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect

from bluemap_records.settings import RecordsSettings
from bluemap_shared.body_limit import MULTIPART_OVERHEAD
from bluemap_shared.problems import InvalidInput, PayloadTooLarge, Problem

FILE_FIELD = "file"


class UnsupportedMediaType(Problem):
    status = 415
    type = "unsupported-media-type"
    title = "Unsupported media type"


@dataclass
class Upload:
    """The uploaded file (a temporary file, in memory while small) and the form's text fields."""

    file: BinaryIO
    size: int
    filename: str | None
    fields: dict[str, str]


def import_body_limit(settings: RecordsSettings) -> int:
    """The body limit of the import endpoint (`@large_body(import_body_limit)`)."""
    return settings.import_max_upload_bytes + MULTIPART_OVERHEAD


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The file exceeds the limit of {max_bytes} bytes.", max_upload_bytes=max_bytes)


async def _limited(stream: AsyncIterator[bytes], max_bytes: int) -> AsyncGenerator[bytes, None]:
    """The body, refused as soon as it passes max_bytes (a chunked upload has no Content-Length)."""
    total = 0
    async for chunk in stream:
        total += len(chunk)
        if total > max_bytes:
            raise _too_large(max_bytes - MULTIPART_OVERHEAD)
        yield chunk


async def receive_upload(request: Request, *, max_bytes: int) -> Upload:
    """The multipart/form-data upload of one file in the field `file`; the caller closes it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + MULTIPART_OVERHEAD:
        raise _too_large(max_bytes)  # before reading a byte of it
    media_type, _ = parse_options_header(request.headers.get("content-type", ""))
    if media_type != b"multipart/form-data":
        raise UnsupportedMediaType(f"Send the file as multipart/form-data in the field '{FILE_FIELD}'.")
    parser = MultiPartParser(
        request.headers, _limited(request.stream(), max_bytes + MULTIPART_OVERHEAD), max_files=1, max_fields=10
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise InvalidInput(f"The multipart body is malformed: {exc.message}") from exc
    except ClientDisconnect as exc:
        raise InvalidInput("The upload was interrupted.") from exc
    upload = form.get(FILE_FIELD)
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    if not isinstance(upload, UploadFile):
        await form.close()
        raise InvalidInput(f"A file is required in the multipart field '{FILE_FIELD}'.")
    size = upload.size or 0
    if size > max_bytes:
        await form.close()
        raise _too_large(max_bytes)
    upload.file.seek(0)
    return Upload(file=upload.file, size=size, filename=upload.filename, fields=fields)
