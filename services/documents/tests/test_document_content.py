"""Unit tests of the pure rules: file names, sniffed types, content-addressed keys."""

import hashlib

import pytest

from bluemap_documents.documents.content import (
    FALLBACK_FILENAME,
    MAX_FILENAME_LENGTH,
    OCTET_STREAM,
    content_disposition,
    sanitise_filename,
    sniff_content_type,
    storage_key,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("测试.pdf", "测试.pdf"),
        (
            "关于对强化监督定点帮扶发现问题进行督办的函(西安).pdf",
            "关于对强化监督定点帮扶发现问题进行督办的函(西安).pdf",
        ),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\Desktop\\整改报告.pdf", "整改报告.pdf"),
        ("/abs/path/report.pdf", "report.pdf"),
        ("a\x00b\x1f\x7fc.pdf", "abc.pdf"),
        ("line\nbreak\r.pdf", "linebreak.pdf"),
        ("evil\u202efdp.exe", "evilfdp.exe"),
        ("zero\u200bwidth.pdf", "zerowidth.pdf"),
        ("  spaced name.pdf  ", "spaced name.pdf"),
        (".hidden", "hidden"),
        ("trailing.pdf. ", "trailing.pdf"),
        ("..", FALLBACK_FILENAME),
        ("", FALLBACK_FILENAME),
        ("dir/", FALLBACK_FILENAME),
        ("\x00\x01", FALLBACK_FILENAME),
        ("e\u0301.pdf", "\u00e9.pdf"),
    ],
)
def test_sanitise_filename(raw: str, expected: str) -> None:
    assert sanitise_filename(raw) == expected


def test_long_names_keep_their_extension() -> None:
    name = sanitise_filename("污" * 300 + ".pdf")
    assert len(name) == MAX_FILENAME_LENGTH
    assert name.endswith("污.pdf")


def test_long_names_without_extension_are_cut() -> None:
    assert sanitise_filename("x" * 500) == "x" * MAX_FILENAME_LENGTH
    assert len(sanitise_filename("a." + "b" * 300)) == MAX_FILENAME_LENGTH


@pytest.mark.parametrize(
    ("head", "declared", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", "application/octet-stream", "application/pdf"),
        (b"%PDF-1.4", None, "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/jpeg", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "application/pdf", "image/jpeg"),
        (b"hello", "text/plain; charset=utf-8", "text/plain"),
        (b"a,b\n1,2", "TEXT/CSV", "text/csv"),
        (
            b"PK\x03\x04",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (b"<html><script>", "text/html", OCTET_STREAM),
        (b"<svg onload=alert(1)>", "image/svg+xml", OCTET_STREAM),
        (b"not a pdf", "application/pdf", OCTET_STREAM),
        (b"\x00\x01", None, OCTET_STREAM),
        (b"%PD", "application/octet-stream", OCTET_STREAM),
    ],
)
def test_sniff_content_type(head: bytes, declared: str | None, expected: str) -> None:
    assert sniff_content_type(head, declared) == expected


def test_storage_key_is_content_addressed() -> None:
    digest = hashlib.sha256(b"blue map").hexdigest()
    assert storage_key("ipe", digest) == f"tenants/ipe/sha256/{digest[:2]}/{digest[2:4]}/{digest}"


@pytest.mark.parametrize("bad", ["", "abc", "A" * 64, "g" * 64, "../" + "a" * 61, "a" * 65])
def test_storage_key_refuses_anything_but_a_digest(bad: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        storage_key("ipe", bad)


@pytest.mark.parametrize("bad", ["", "..", "a/b", "-x", "ipe/../other", "x" * 65])
def test_storage_key_refuses_a_tenant_id_that_is_not_one_key_segment(bad: str) -> None:
    with pytest.raises(ValueError, match="tenant id"):
        storage_key(bad, hashlib.sha256(b"blue map").hexdigest())


def test_content_disposition_carries_utf8_name_and_ascii_fallback() -> None:
    assert content_disposition("测试.pdf") == (
        "attachment; filename=\"__.pdf\"; filename*=UTF-8''%E6%B5%8B%E8%AF%95.pdf"
    )
    assert content_disposition('a "b"\\c%.pdf') == (
        "attachment; filename=\"a _b__c_.pdf\"; filename*=UTF-8''a%20%22b%22%5Cc%25.pdf"
    )
