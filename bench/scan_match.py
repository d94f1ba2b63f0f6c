"""Signed scan check: CPU per PDF against the render of the same PDF, and what the per-page code and QR cost.

    .venv/bin/python bench/scan_match.py            # 20 submissions
    .venv/bin/python bench/scan_match.py -n 5       # quicker

For each of N realistic submissions (bench/pdf_pipeline.py's), in one process, interleaved:
(a) render_public_explanation with today's template (code and QR code on every page);
(b) the same pipeline with the per-page code and QR code cut out of the HTML (the template before);
(c) the scan check of the rendered PDF itself (text layer path);
(d) the scan check of a scan of it (every page an image at 150 DPI: rasterise, QR decode).
CPU is the process's CPU time (time.process_time) around each step; figures are ratios to (b) of the
same run, so the machine's load cancels out.
"""

import argparse
import io
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium

sys.path.insert(0, str(Path(__file__).parent))

from pdf_pipeline import TIMEZONE, submission

from bluemap_documents.submissions.canonical import canonical_content, document_number, verification_code
from bluemap_documents.submissions.rendering import (
    PublicExplanation,
    html_to_pdf,
    public_explanation_html,
)
from bluemap_documents.submissions.scan_match import ExpectedDocument, ScanChecks, inspect_scan, judge

CHECKS = ScanChecks(page_tolerance=1, dpi=150, max_pages=30)
_PAGE_MARKS = (
    re.compile(r"\s*@bottom-left \{[^}]*\}", re.S),
    re.compile(r'<img class="page-qr"[^>]*>\n?'),
)


def without_page_marks(html: str) -> str:
    """The HTML as the template made it before every page carried the code and a QR code."""
    for mark in _PAGE_MARKS:
        html, found = mark.subn("", html, count=1)
        assert found == 1, f"the template changed: {mark.pattern} not found"
    return html


def scan_of(pdf: bytes, dpi: int = 150) -> bytes:
    document = pdfium.PdfDocument(pdf)
    try:
        images = [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in document]
    finally:
        document.close()
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=dpi, quality=80)
    return out.getvalue()


def cpu(step, *args):  # type: ignore[no-untyped-def]
    started = time.process_time()
    result = step(*args)
    return result, time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20, help="submissions (default 20)")
    args = parser.parse_args()
    totals = {"render": 0.0, "render_before": 0.0, "check_text": 0.0, "check_scan": 0.0}
    pages = 0
    html_to_pdf("<p>warm-up 预热</p>")
    with tempfile.TemporaryDirectory() as folder:
        for index in range(args.n):
            event = submission(index)
            number = document_number("ipe", event.submission_id, event.submitted_at.astimezone(TIMEZONE).date())
            code = verification_code(canonical_content(event, number))
            document = PublicExplanation("ipe", number, code, f"https://bluemap.example.org/verify/{code}", TIMEZONE)
            html = public_explanation_html(event, document)
            before = without_page_marks(html)
            # Alternate which goes first, so warm caches favour neither.
            if index % 2:
                rendered, spent = cpu(html_to_pdf, html)
                _, spent_before = cpu(html_to_pdf, before)
            else:
                _, spent_before = cpu(html_to_pdf, before)
                rendered, spent = cpu(html_to_pdf, html)
            totals["render"] += spent
            totals["render_before"] += spent_before
            pages += rendered.pages
            expected = ExpectedDocument(rendered.pages, number, code)
            for name, data in (("check_text", rendered.data), ("check_scan", scan_of(rendered.data))):
                path = Path(folder) / f"{name}.pdf"
                path.write_bytes(data)
                findings, spent = cpu(inspect_scan, path, expected, CHECKS)
                assert judge(findings, expected, CHECKS.page_tolerance) == [], (name, findings)
                totals[name] += spent
    baseline = totals["render_before"]
    print(
        json.dumps(
            {
                "submissions": args.n,
                "pages": pages,
                "cpu_ms_per_pdf": {k: round(v / args.n * 1000, 1) for k, v in totals.items()},
                "ratio_to_render_before": {k: round(v / baseline, 3) for k, v in totals.items()},
                "check_scan_cpu_ms_per_page": round(totals["check_scan"] / pages * 1000, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
