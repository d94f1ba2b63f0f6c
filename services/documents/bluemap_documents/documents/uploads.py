"""Streaming multipart reception: the file goes to a temporary file, hashed and counted on the way."""

import asyncio
import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from bluemap_documents.documents.content import SNIFF_BYTES
from bluemap_shared.problems import InvalidInput, PayloadTooLarge, Problem

MAX_FIELDS = 10
MAX_FIELD_BYTES = 1024
# Written to disk in blocks: one thread hop per block instead of one per network chunk.
WRITE_BLOCK = 1024 * 1024
_EXTENDED_FILENAME = re.compile(r"filename\*\s*=\s*([\w!#$&+.^`|~-]+)'[^']*'([^;\s]+)", re.IGNORECASE)


class UnsupportedMediaType(Problem):
    status = 415
    type = "unsupported-media-type"
    title = "Unsupported media type"


@dataclass
class ReceivedUpload:
    """One file of a multipart body, on local disk until stored, with the form's text fields."""

    path: Path
    size: int
    sha256: str
    head: bytes
    filename: str
    declared_type: str | None
    fields: dict[str, str]


def part_filename(disposition: bytes) -> str | None:
    """The file name of a part's Content-Disposition (RFC 7578, RFC 8187 filename*); None for a text field."""
    text = disposition.decode("utf-8", errors="replace")
    extended = _EXTENDED_FILENAME.search(text)
    if extended:
        try:
            return unquote(extended[2].strip('"'), encoding=extended[1], errors="replace")
        except LookupError:
            return unquote(extended[2].strip('"'), errors="replace")
    _, options = parse_options_header(disposition)
    raw = options.get(b"filename")
    # Browsers send the name as raw UTF-8 bytes (HTML form submission), not RFC 2047.
    return raw.decode("utf-8", errors="replace") if raw is not None else None


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    is_file: bool = False
    data: bytearray = field(default_factory=bytearray)


class _Reception:
    """Parser callbacks; they only record, the async loop writes what they collected."""

    def __init__(self, file_field: str, max_bytes: int) -> None:
        self.file_field = file_field
        self.max_bytes = max_bytes
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.declared_type: str | None = None
        self.size = 0
        self.head = b""
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self.file_seen = False
        self.ended = False
        self._part = _Part()
        self._header_name = b""
        self._header_value = b""

    def on_part_begin(self) -> None:
        self._part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._part.headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        disposition = self._part.headers.get(b"content-disposition", b"")
        _, options = parse_options_header(disposition)
        self._part.name = options.get(b"name", b"").decode("utf-8", errors="replace")
        filename = part_filename(disposition)
        if filename is None:
            if len(self.fields) >= MAX_FIELDS:
                raise InvalidInput(f"At most {MAX_FIELDS} form fields are accepted.")
            return
        if self._part.name != self.file_field or self.file_seen:
            raise InvalidInput(f"Send exactly one file, in the form field '{self.file_field}'.")
        self.file_seen = True
        self._part.is_file = True
        self.filename = filename
        declared = self._part.headers.get(b"content-type")
        self.declared_type = declared.decode("latin-1") if declared else None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if not self._part.is_file:
            if len(self._part.data) + len(chunk) > MAX_FIELD_BYTES:
                raise InvalidInput(f"Form field '{self._part.name}' exceeds {MAX_FIELD_BYTES} bytes.")
            self._part.data.extend(chunk)
            return
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise PayloadTooLarge(
                f"The file exceeds the limit of {self.max_bytes} bytes.",
                max_upload_bytes=self.max_bytes,
                reason="too-large",
            )
        if len(self.head) < SNIFF_BYTES:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]
        self.pending.append(chunk)
        self.pending_bytes += len(chunk)

    def on_part_end(self) -> None:
        if not self._part.is_file:
            self.fields[self._part.name] = self._part.data.decode("utf-8", errors="replace")

    def on_end(self) -> None:
        self.ended = True

    def take_pending(self) -> bytes:
        block = b"".join(self.pending)
        self.pending.clear()
        self.pending_bytes = 0
        return block


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def _write(out: BinaryIO, digest: "hashlib._Hash", block: bytes) -> None:
    digest.update(block)
    out.write(block)


async def receive_upload(
    content_type: str,
    stream: AsyncIterator[bytes],
    *,
    max_bytes: int,
    file_field: str = "file",
    tmp_dir: Path | None = None,
) -> ReceivedUpload:
    """Read a multipart/form-data body; the caller owns (and must delete) the returned file."""
    # PayloadTooLarge is raised as soon as the file passes max_bytes, without reading the rest;
    # InvalidInput for a malformed, incomplete or empty body. A refused upload leaves no file behind.
    media_type, params = parse_options_header(content_type)
    if media_type != b"multipart/form-data":
        raise UnsupportedMediaType("Send the file as multipart/form-data.", reason="not-multipart")
    boundary = params.get(b"boundary")
    if not boundary:
        raise InvalidInput("The multipart body has no boundary.")
    reception = _Reception(file_field, max_bytes)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": reception.on_part_begin,
            "on_part_data": reception.on_part_data,
            "on_part_end": reception.on_part_end,
            "on_header_field": reception.on_header_field,
            "on_header_value": reception.on_header_value,
            "on_header_end": reception.on_header_end,
            "on_headers_finished": reception.on_headers_finished,
            "on_end": reception.on_end,
        },
    )
    digest = hashlib.sha256()
    fd, name = tempfile.mkstemp(prefix="bluemap-upload-", dir=tmp_dir)
    path = Path(name)
    received = False
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in stream:
                parser.write(chunk)
                if reception.pending_bytes >= WRITE_BLOCK:
                    await asyncio.to_thread(_write, out, digest, reception.take_pending())
            parser.finalize()
            if reception.pending:
                await asyncio.to_thread(_write, out, digest, reception.take_pending())
        if not reception.ended:
            raise InvalidInput("The multipart body is incomplete.")
        if reception.filename is None:
            raise InvalidInput(f"A file is required in the form field '{file_field}'.")
        if reception.size == 0:
            raise InvalidInput("The file is empty.", reason="empty")
        received = True
    except FormParserError as exc:
        raise InvalidInput(f"The multipart body is malformed: {exc}") from exc
    except ClientDisconnect as exc:
        raise InvalidInput("The upload was interrupted.") from exc
    finally:
        if not received:
            # Synchronous on purpose: it must also run when the request task is being cancelled.
            _discard(path)
    return ReceivedUpload(
        path=path,
        size=reception.size,
        sha256=digest.hexdigest(),
        head=reception.head,
        filename=reception.filename,
        declared_type=reception.declared_type,
        fields=reception.fields,
    )


@asynccontextmanager
async def received_upload(
    content_type: str, stream: AsyncIterator[bytes], *, max_bytes: int, tmp_dir: Path | None = None
) -> AsyncIterator[ReceivedUpload]:
    """receive_upload whose temporary file is deleted when the block ends, however it ends."""
    upload = await receive_upload(content_type, stream, max_bytes=max_bytes, tmp_dir=tmp_dir)
    try:
        yield upload
    finally:
        with suppress(FileNotFoundError):
            await asyncio.to_thread(upload.path.unlink)
