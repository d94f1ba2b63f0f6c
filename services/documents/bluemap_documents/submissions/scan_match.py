"""Whether an uploaded signed scan is the submission's rendered PDF: its page count, and its code on every page.

Every page of the rendered PDF prints the document number (header), the verification code (footer)
and a QR code of the verification page. A page matches when its text layer holds the number or the
code, or, for a scan (an image, no text), when a QR code decoded from the rasterised page holds the
code. Hard failures are refused with a 422 naming the check; soft ones are accepted for review with
warnings the reviewer sees.
"""

import asyncio
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import structlog
import zxingcpp
from PIL import Image
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.documents.pdf_checks import PdfRefused
from bluemap_documents.documents.repository import DocumentRepository
from bluemap_documents.settings import DocumentsSettings
from bluemap_documents.submissions.models import Submission
from bluemap_shared.events.catalog import ScanWarning
from bluemap_shared.problems import InvalidInput

log = structlog.get_logger()

PAGE_COUNT_MISMATCH = "page-count-mismatch"
CODE_NOT_FOUND = "code-not-found"
OTHER_DOCUMENT = "other-document"
CODE_MISSING_ON_PAGES = "code-missing-on-pages"
OTHER_DOCUMENT_ON_PAGES = "other-document-on-pages"
# A rasterised page never exceeds this many pixels, whatever size its MediaBox claims (memory and CPU bound).
MAX_PAGE_PIXELS = 6_000_000
_VERIFY_URL_CODE = re.compile(r"/verify/([0-9a-f]{64})")
_WHITESPACE = re.compile(r"\s+")
# PDFium is not thread-safe: one document is opened, read and rasterised at a time in a process.
_pdfium = threading.Lock()


class ScanMismatch(InvalidInput):
    """The upload is not a scan of the submission's PDF; `reason` names the check that failed."""

    type = "scan-mismatch"
    title = "Not the scan of this submission's PDF"

    def __init__(self, reason: str, detail: str, **extensions: object) -> None:
        super().__init__(detail, reason=reason, **extensions)


@dataclass(frozen=True)
class ExpectedDocument:
    """What the rendered PDF prints: its page count and, on every page, its number and verification code."""

    pages: int | None
    document_number: str
    verification_code: str


@dataclass(frozen=True)
class ScanChecks:
    """How closely and how far a scan is checked."""

    page_tolerance: int  # pages the scan may have more or fewer than the PDF (a cover page) without a warning
    dpi: int  # rasterising resolution for the QR codes of pages without a text layer
    max_pages: int  # pages looked at; the ones after count as not found

    @classmethod
    def of(cls, settings: DocumentsSettings) -> "ScanChecks":
        return cls(
            page_tolerance=settings.scan_page_tolerance,
            dpi=settings.scan_check_dpi,
            max_pages=settings.scan_check_max_pages,
        )


@dataclass
class ScanFindings:
    """What was found in the upload, page by page (1-based)."""

    pages: int
    with_code: set[int] = field(default_factory=set)
    with_other_code: set[int] = field(default_factory=set)
    checked: int = 0


def judge(findings: ScanFindings, expected: ExpectedDocument, page_tolerance: int) -> list[ScanWarning]:
    """The warnings of a scan accepted for review; ScanMismatch when a hard check fails (pure)."""
    if not findings.with_code:
        if findings.with_other_code:
            raise ScanMismatch(
                OTHER_DOCUMENT,
                "This is the scan of another public explanation: its pages carry another verification code.",
                pages=sorted(findings.with_other_code),
            )
        raise ScanMismatch(
            CODE_NOT_FOUND,
            f"The document number {expected.document_number} or its verification code (QR code) "
            "was found on no page: upload the scan of the PDF that was sent for this submission.",
        )
    uncoded = [page for page in range(1, findings.pages + 1) if page not in findings.with_code]
    count_ok = expected.pages is None or abs(findings.pages - expected.pages) <= page_tolerance
    if not count_ok and uncoded:
        raise ScanMismatch(
            PAGE_COUNT_MISMATCH,
            f"The scan has {findings.pages} pages, the PDF {expected.pages}, and pages "
            f"{_listed(uncoded)} carry no code of it: scan every page of the PDF that was sent, and only those.",
            expected_pages=expected.pages,
            scanned_pages=findings.pages,
            pages_without_code=uncoded,
        )
    warnings: list[ScanWarning] = []
    if not count_ok:
        warnings.append(
            ScanWarning(
                code=PAGE_COUNT_MISMATCH,
                detail=f"The scan has {findings.pages} pages, the PDF {expected.pages}; every page carries its code.",
                expected_pages=expected.pages,
                scanned_pages=findings.pages,
            )
        )
    elif expected.pages is not None and len(findings.with_code) < expected.pages:
        # Up to the tolerance, pages without the code are a cover page; past that, some pages' codes
        # were unreadable (a poor scan) or the pages are not the PDF's: a reviewer compares them.
        warnings.append(
            ScanWarning(
                code=CODE_MISSING_ON_PAGES,
                detail=f"No code of the PDF was found on pages {_listed(uncoded)}.",
                pages=uncoded,
                expected_pages=expected.pages,
                scanned_pages=findings.pages,
            )
        )
    if findings.with_other_code:
        warnings.append(
            ScanWarning(
                code=OTHER_DOCUMENT_ON_PAGES,
                detail=f"Pages {_listed(sorted(findings.with_other_code))} carry another document's code.",
                pages=sorted(findings.with_other_code),
            )
        )
    return warnings


def _listed(pages: list[int]) -> str:
    return ", ".join(str(page) for page in pages)


def _qr_codes() -> zxingcpp.BarcodeFormats:
    # Made per call: a nanobind object kept in a module global is reported as leaked at interpreter exit.
    return zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def _compact(text: str) -> str:
    return _WHITESPACE.sub("", text)


def _codes_in(texts: list[str]) -> set[str]:
    return {match for text in texts for match in _VERIFY_URL_CODE.findall(text.lower())}


@contextmanager
def _opened(path: Path) -> Iterator[pdfium.PdfDocument]:
    document = pdfium.PdfDocument(path)
    try:
        yield document
    finally:
        document.close()


def _page_image(page: pdfium.PdfPage, dpi: int) -> Image.Image:
    width, height = page.get_size()  # points
    scale = dpi / 72
    pixels = width * height * scale * scale
    if pixels > MAX_PAGE_PIXELS:
        scale *= (MAX_PAGE_PIXELS / pixels) ** 0.5
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        image: Image.Image = bitmap.to_pil().copy()  # owns its pixels: the bitmap is freed under the lock
        return image
    finally:
        bitmap.close()


def inspect_scan(path: Path, expected: ExpectedDocument, checks: ScanChecks) -> ScanFindings:
    """Look for the document's number or code on each page: text layer first, else QR codes of the page's image.

    Blocking (CPU): run it in a worker thread. A file PDFium cannot read is refused (422 unreadable).
    """
    try:
        return _inspect(path, expected, checks)
    except pdfium.PdfiumError as exc:
        # pypdf accepted it, PDFium does not: bad input all the same, never a 500.
        raise PdfRefused("unreadable", f"The PDF could not be read to check its pages: {exc}.") from exc


def _inspect(path: Path, expected: ExpectedDocument, checks: ScanChecks) -> ScanFindings:
    number, code = _compact(expected.document_number), expected.verification_code.lower()
    with _pdfium, _opened(path) as document:
        findings = ScanFindings(pages=len(document))
    for index in range(min(findings.pages, checks.max_pages)):
        with _pdfium, _opened(path) as document:
            # Reopened per page so the lock is never held across a QR decode; opening is cheap (xref only).
            page = document[index]
            try:
                textpage = page.get_textpage()
                try:
                    text = _compact(textpage.get_text_bounded())
                finally:
                    textpage.close()
                image = None if (number in text or code in text) else _page_image(page, checks.dpi)
            finally:
                page.close()
        findings.checked += 1
        if image is None:
            findings.with_code.add(index + 1)
            continue
        decoded = [found.text for found in zxingcpp.read_barcodes(image, formats=_qr_codes())]
        codes = _codes_in(decoded)
        if code in codes:
            findings.with_code.add(index + 1)
        elif codes:
            findings.with_other_code.add(index + 1)
    return findings


async def expected_of(session: AsyncSession, submission: Submission) -> ExpectedDocument | None:
    """What the submission's rendered PDF prints; None before it is rendered."""
    if submission.document_id is None or submission.document_number is None or submission.verification_code is None:
        return None
    rendered = await DocumentRepository(session).get(submission.tenant_id, submission.document_id)
    return ExpectedDocument(
        pages=rendered.pages if rendered is not None else None,
        document_number=submission.document_number,
        verification_code=submission.verification_code,
    )


async def check_scan(path: Path, expected: ExpectedDocument, checks: ScanChecks) -> list[ScanWarning]:
    """The scan's warnings for the reviewer; ScanMismatch (422) when it is not the submission's PDF."""
    findings = await asyncio.to_thread(inspect_scan, path, expected, checks)
    warnings = judge(findings, expected, checks.page_tolerance)
    log.info(
        "submissions.scan_checked",
        pages=findings.pages,
        checked=findings.checked,
        with_code=len(findings.with_code),
        warnings=[w.code for w in warnings],
    )
    return warnings
