"""Unit tests of the PDF validation on crafted files: every refusal has its reason."""

from collections.abc import Callable
from pathlib import Path

import pytest
from documents_testing import (
    additional_actions_pdf,
    embedded_file_pdf,
    encrypted_pdf,
    file_attachment_annotation_pdf,
    javascript_name_tree_pdf,
    javascript_open_action_pdf,
    obfuscated_javascript_pdf,
    real_pdf,
    truncated_pdf,
    zero_page_pdf,
)

from bluemap_documents.documents.pdf_checks import NotAPdf, PdfRefused, check_pdf
from bluemap_documents.documents.service import parse_record_ids, pdf_filename
from bluemap_shared.problems import InvalidInput


def written(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "upload"
    path.write_bytes(data)
    return path


def test_a_plain_pdf_passes_with_its_page_count(tmp_path: Path) -> None:
    assert check_pdf(written(tmp_path, real_pdf(3)), max_pages=3).pages == 3


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (encrypted_pdf, "encrypted"),
        (javascript_open_action_pdf, "javascript"),
        (javascript_name_tree_pdf, "javascript"),
        (additional_actions_pdf, "javascript"),
        (obfuscated_javascript_pdf, "javascript"),
        (embedded_file_pdf, "embedded-file"),
        (file_attachment_annotation_pdf, "embedded-file"),
        (zero_page_pdf, "no-pages"),
        (lambda: real_pdf(4), "too-many-pages"),
        (truncated_pdf, "truncated"),
        (lambda: b"%PDF-1.4\n" + b"garbage " * 100 + b"\n%%EOF\n", "unreadable"),
    ],
)
def test_refusals_say_why(tmp_path: Path, make: Callable[[], bytes], reason: str) -> None:
    with pytest.raises(PdfRefused) as refused:
        check_pdf(written(tmp_path, make()), max_pages=3)
    assert refused.value.status == 422
    assert refused.value.extensions == {"reason": reason}


@pytest.mark.parametrize("data", [b"PK\x03\x04zip", b"\x89PNG\r\n\x1a\n", b"  %PDF-1.4 late magic", b"%PD"])
def test_not_a_pdf_is_415_whatever_its_name(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(NotAPdf) as refused:
        check_pdf(written(tmp_path, data), max_pages=3)
    assert refused.value.status == 415
    assert refused.value.extensions == {"reason": "not-a-pdf"}


def test_obfuscated_names_are_decoded_before_checking(tmp_path: Path) -> None:
    data = obfuscated_javascript_pdf()
    assert b"/JS" not in data
    assert b"/JavaScript" not in data
    with pytest.raises(PdfRefused, match="JavaScript"):
        check_pdf(written(tmp_path, data), max_pages=3)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("盖章版.pdf", "盖章版.pdf"),
        ("../../scan.PDF", "scan.PDF"),
        ("scan", "scan.pdf"),
        ("evil\u202efdp.exe", "evilfdp.exe.pdf"),
        ("", "document.pdf"),
    ],
)
def test_pdf_filenames_are_sanitised(raw: str, expected: str) -> None:
    assert pdf_filename(raw) == expected


def test_record_ids_are_parsed_deduplicated_and_bounded() -> None:
    ids = ["0190f5a2-0000-7000-8000-000000000001", "0190f5a2-0000-7000-8000-000000000002"]
    assert [str(i) for i in parse_record_ids(f" {ids[0]}, {ids[1]}\n{ids[0]} ")] == ids
    assert parse_record_ids(None) == []
    with pytest.raises(InvalidInput) as bad:
        parse_record_ids("not-a-uuid")
    assert bad.value.extensions["reason"] == "invalid-record-id"
