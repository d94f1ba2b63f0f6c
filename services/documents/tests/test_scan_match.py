"""Unit tests of the signed scan's match to its PDF: real renders, real rasterised scans, no servers."""

import re
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
import zxingcpp
from documents_testing import invoice_pdf, scan_of, submitted

from bluemap_documents.documents.pdf_checks import PdfRefused
from bluemap_documents.submissions.rendering import PublicExplanation, RenderedPdf, render_public_explanation
from bluemap_documents.submissions.scan_match import (
    ExpectedDocument,
    ScanChecks,
    ScanFindings,
    ScanMismatch,
    inspect_scan,
    judge,
)

CODE = "3f" * 32
DOCUMENT = PublicExplanation(
    tenant_id="ipe",
    document_number="BM-IPE-20260302-K3M9QZ",
    verification_code=CODE,
    verify_url="https://bluemap.example.org/verify/" + CODE,
    timezone=ZoneInfo("Asia/Shanghai"),
)
CHECKS = ScanChecks(page_tolerance=1, dpi=150, max_pages=30)


@pytest.fixture(scope="module")
def rendered() -> RenderedPdf:
    """A public explanation of four records: several pages."""
    return render_public_explanation(submitted(uuid4(), record_ids=[uuid4() for _ in range(4)]), DOCUMENT)


@pytest.fixture(scope="module")
def expected(rendered: RenderedPdf) -> ExpectedDocument:
    assert rendered.pages >= 2, "the checks below need a PDF of several pages"
    return ExpectedDocument(
        pages=rendered.pages, document_number=DOCUMENT.document_number, verification_code=DOCUMENT.verification_code
    )


def inspected(tmp_path: Path, data: bytes, expected: ExpectedDocument) -> ScanFindings:
    path = tmp_path / "upload.pdf"
    path.write_bytes(data)
    return inspect_scan(path, expected, CHECKS)


def test_every_page_of_the_rendered_pdf_carries_the_code_and_a_qr_code(rendered: RenderedPdf) -> None:
    document = pdfium.PdfDocument(rendered.data)
    try:
        for page in document:
            text = re.sub(r"\s+", "", page.get_textpage().get_text_bounded())
            assert CODE in text
            assert DOCUMENT.document_number in text
            image = page.render(scale=150 / 72, grayscale=True).to_pil()
            decoded = {b.text for b in zxingcpp.read_barcodes(image)}
            assert DOCUMENT.verify_url in decoded
    finally:
        document.close()


def test_the_rendered_pdf_itself_matches_by_its_text(
    tmp_path: Path, rendered: RenderedPdf, expected: ExpectedDocument
) -> None:
    findings = inspected(tmp_path, rendered.data, expected)
    assert findings.with_code == set(range(1, rendered.pages + 1))
    assert judge(findings, expected, CHECKS.page_tolerance) == []


def test_a_scan_without_text_matches_by_the_qr_codes_of_its_pages(
    tmp_path: Path, rendered: RenderedPdf, expected: ExpectedDocument
) -> None:
    scan = scan_of(rendered.data, angle=1.2)
    assert all(not p.get_textpage().get_text_bounded().strip() for p in pdfium.PdfDocument(scan)), "no text layer"
    findings = inspected(tmp_path, scan, expected)
    assert findings.with_code == set(range(1, rendered.pages + 1))
    assert judge(findings, expected, CHECKS.page_tolerance) == []


def test_an_invoice_is_refused_as_code_not_found(tmp_path: Path, expected: ExpectedDocument) -> None:
    findings = inspected(tmp_path, invoice_pdf(), expected)
    with pytest.raises(ScanMismatch) as refused:
        judge(findings, expected, CHECKS.page_tolerance)
    assert (refused.value.status, refused.value.extensions["reason"]) == (422, "code-not-found")


def test_the_scan_of_another_explanation_is_refused_as_another_document(tmp_path: Path, rendered: RenderedPdf) -> None:
    other = ExpectedDocument(pages=rendered.pages, document_number="BM-IPE-20260303-AAAAAA", verification_code="0" * 64)
    findings = inspected(tmp_path, scan_of(rendered.data), other)
    with pytest.raises(ScanMismatch) as refused:
        judge(findings, other, CHECKS.page_tolerance)
    assert refused.value.extensions["reason"] == "other-document"


def test_a_cover_page_is_within_the_tolerance(
    tmp_path: Path, rendered: RenderedPdf, expected: ExpectedDocument
) -> None:
    findings = inspected(tmp_path, scan_of(rendered.data, cover_page=True), expected)
    assert findings.pages == rendered.pages + 1
    assert judge(findings, expected, CHECKS.page_tolerance) == []


def test_a_footer_cut_off_on_one_page_is_a_warning_for_the_reviewer(
    tmp_path: Path, rendered: RenderedPdf, expected: ExpectedDocument
) -> None:
    findings = inspected(tmp_path, scan_of(rendered.data, footer_hidden_on={0}), expected)
    [warning] = judge(findings, expected, CHECKS.page_tolerance)
    assert (warning.code, warning.pages) == ("code-missing-on-pages", [1])


def test_page_counts_apart_are_a_warning_when_every_page_has_the_code_else_refused(
    tmp_path: Path, rendered: RenderedPdf, expected: ExpectedDocument
) -> None:
    every_page_twice = [index for index in range(rendered.pages) for _ in range(2)]
    findings = inspected(tmp_path, scan_of(rendered.data, pages=every_page_twice), expected)
    [warning] = judge(findings, expected, CHECKS.page_tolerance)
    assert (warning.code, warning.expected_pages, warning.scanned_pages) == (
        "page-count-mismatch",
        rendered.pages,
        2 * rendered.pages,
    )
    hidden = set(range(rendered.pages - 1))  # every page but the last loses its footer
    findings = inspected(tmp_path, scan_of(rendered.data, pages=every_page_twice, footer_hidden_on=hidden), expected)
    with pytest.raises(ScanMismatch) as refused:
        judge(findings, expected, CHECKS.page_tolerance)
    assert refused.value.extensions["reason"] == "page-count-mismatch"


def test_pages_past_the_checked_ones_count_as_without_the_code() -> None:
    expected = ExpectedDocument(pages=2, document_number="BM-X", verification_code=CODE)
    findings = ScanFindings(pages=40, with_code={1, 2}, checked=30)
    with pytest.raises(ScanMismatch) as refused:
        judge(findings, expected, 1)
    assert refused.value.extensions["pages_without_code"] == list(range(3, 41))


def test_a_file_pdfium_cannot_read_is_refused_not_a_500(tmp_path: Path, expected: ExpectedDocument) -> None:
    with pytest.raises(PdfRefused) as refused:
        inspected(tmp_path, b"%PDF-1.7\n% pypdf may take this, PDFium does not\n%%EOF\n", expected)
    assert (refused.value.status, refused.value.extensions["reason"]) == (422, "unreadable")
