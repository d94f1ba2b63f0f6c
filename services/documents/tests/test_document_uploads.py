"""Unit tests of streaming multipart reception, fed chunk by chunk without a server."""

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bluemap_documents.documents.uploads import (
    ReceivedUpload,
    UnsupportedMediaType,
    part_filename,
    receive_upload,
    received_upload,
)
from bluemap_shared.problems import InvalidInput, PayloadTooLarge

BOUNDARY = "----bluemapBoundary7MA4YWxk"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def leftovers(folder: Path) -> list[Path]:
    return list(folder.iterdir())


def file_part(
    data: bytes, *, filename: str = "测试.pdf", name: str = "file", content_type: str = "application/pdf"
) -> bytes:
    return (
        (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + data
        + b"\r\n"
    )


def field_part(name: str, value: str) -> bytes:
    return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


async def chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def receive(data: bytes, tmp_path: Path, *, size: int = 7, max_bytes: int = 1_000_000) -> ReceivedUpload:
    return await receive_upload(CONTENT_TYPE, chunks(data, size), max_bytes=max_bytes, tmp_dir=tmp_path)


@pytest.mark.parametrize("chunk_size", [1, 7, 64 * 1024])
async def test_file_is_hashed_counted_and_spooled(tmp_path: Path, chunk_size: int) -> None:
    content = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\r\n--not-the-boundary\r\n"
    upload = await receive(body(field_part("kind", "supporting"), file_part(content)), tmp_path, size=chunk_size)
    assert upload.path.read_bytes() == content
    assert upload.size == len(content)
    assert upload.sha256 == hashlib.sha256(content).hexdigest()
    assert upload.head == content[:16]
    assert upload.filename == "测试.pdf"
    assert upload.declared_type == "application/pdf"
    assert upload.fields == {"kind": "supporting"}


async def test_fields_after_the_file_are_read_too(tmp_path: Path) -> None:
    upload = await receive(body(file_part(b"x"), field_part("kind", "signed-explanation")), tmp_path)
    assert upload.fields == {"kind": "signed-explanation"}


async def test_over_the_limit_stops_reading_and_keeps_nothing(tmp_path: Path) -> None:
    read = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal read
        async for chunk in chunks(body(file_part(b"x" * 10_000)), 1000):
            read += len(chunk)
            yield chunk

    with pytest.raises(PayloadTooLarge) as raised:
        await receive_upload(CONTENT_TYPE, counted(), max_bytes=5_000, tmp_dir=tmp_path)
    assert raised.value.extensions == {"max_upload_bytes": 5_000, "reason": "too-large"}
    assert read < 7_000
    assert leftovers(tmp_path) == []


async def test_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    upload = await receive(body(file_part(b"y" * 5_000)), tmp_path, max_bytes=5_000)
    assert upload.size == 5_000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (body(file_part(b"")), "empty"),
        (body(field_part("kind", "supporting")), "A file is required"),
        (body(field_part("file", "not a file")), "A file is required"),
        (body(file_part(b"a"), file_part(b"b")), "exactly one file"),
        (body(file_part(b"a", name="attachment")), "exactly one file"),
        (body(file_part(b"abc"))[:-10], "incomplete"),
        (b"garbage without any boundary at all", "incomplete|malformed"),
        (body(field_part("kind", "k" * 2000), file_part(b"a")), "exceeds 1024 bytes"),
        (body(*(field_part(f"f{i}", "v") for i in range(11)), file_part(b"a")), "At most 10"),
    ],
)
async def test_bad_bodies_are_invalid_input_and_leave_nothing(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        await receive(data, tmp_path)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("content_type", ["application/json", "application/pdf", ""])
async def test_only_multipart_is_accepted(tmp_path: Path, content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType):
        await receive_upload(content_type, chunks(b"{}", 10), max_bytes=10, tmp_dir=tmp_path)


async def test_missing_boundary_is_invalid(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="boundary"):
        await receive_upload("multipart/form-data", chunks(b"x", 1), max_bytes=10, tmp_dir=tmp_path)


async def test_temporary_file_is_gone_after_the_block(tmp_path: Path) -> None:
    async with received_upload(CONTENT_TYPE, chunks(body(file_part(b"z")), 5), max_bytes=10, tmp_dir=tmp_path) as up:
        assert up.path.exists()
    assert not up.path.exists()
    with pytest.raises(RuntimeError):
        async with received_upload(CONTENT_TYPE, chunks(body(file_part(b"z")), 5), max_bytes=10, tmp_dir=tmp_path):
            raise RuntimeError("store failed")
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('form-data; name="file"; filename="测试.pdf"'.encode(), "测试.pdf"),
        (b'form-data; name="file"; filename="a.pdf"; filename*=UTF-8\'\'%E6%B5%8B%E8%AF%95.pdf', "测试.pdf"),
        (b"form-data; name=file; filename*=utf-8''%E6%8A%A5%E5%91%8A.pdf", "报告.pdf"),
        (b'form-data; name="file"; filename=""', ""),
        (b'form-data; name="kind"', None),
    ],
)
def test_part_filename(disposition: bytes, expected: str | None) -> None:
    assert part_filename(disposition) == expected
