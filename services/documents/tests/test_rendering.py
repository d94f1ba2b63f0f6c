"""Unit tests of the public explanation template and renderer (WeasyPrint with the Noto CJK fonts)."""

import asyncio
import base64
import io
import multiprocessing
import os
import re
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from documents_testing import ENTERPRISE_NAME, VIOLATION, pdf_text, submitted
from pypdf import PdfReader

from bluemap_documents.submissions import rendering
from bluemap_documents.submissions.rendering import (
    PdfRenderer,
    PublicExplanation,
    RenderedPdf,
    html_to_pdf,
    public_explanation_html,
    qr_svg_data_uri,
)

DOCUMENT = PublicExplanation(
    tenant_id="ipe",
    document_number="BM-IPE-20260302-ABCDEF",
    verification_code="ab" * 32,
    verify_url="https://bluemap.example.org/verify/" + "ab" * 32,
    timezone=ZoneInfo("Asia/Shanghai"),
)


def test_everything_the_enterprise_typed_is_escaped() -> None:
    event = submitted(uuid4())
    html = public_explanation_html(event, DOCUMENT)
    assert "&lt;b&gt;活性炭&lt;/b&gt;" in html
    assert "<b>活性炭</b>" not in html
    assert "Shaanxi Yong&#39;an" in html


def test_times_are_printed_in_the_display_timezone() -> None:
    html = public_explanation_html(submitted(uuid4()), DOCUMENT)
    # Accepted at 06:05 UTC is 14:05 in Beijing.
    assert "2026-03-02 14:05 (UTC+08:00)" in html
    assert 'lang="zh-CN"' in html
    assert "Noto Sans CJK SC" in html


def test_the_qr_code_is_an_svg_data_uri() -> None:
    uri = qr_svg_data_uri(DOCUMENT.verify_url)
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    svg = base64.b64decode(uri.removeprefix(prefix)).decode()
    assert svg.startswith("<svg")
    assert 'viewBox="0 0 ' in svg
    assert re.search(r'd="M\d+ \d+h\d+v1h-\d+z', svg)


async def test_the_renderer_makes_an_a4_pdf_with_chinese_text() -> None:
    pdf = await PdfRenderer(concurrency=1).render(submitted(uuid4()), DOCUMENT)
    assert pdf.data.startswith(b"%PDF-")
    assert pdf.pages >= 2
    flat = re.sub(r"\s+", "", pdf_text(pdf.data))
    assert ENTERPRISE_NAME in flat
    assert VIOLATION.replace(" ", "") in flat
    assert DOCUMENT.verification_code in flat
    box = PdfReader(io.BytesIO(pdf.data)).pages[0].mediabox
    # A4 is 595 x 842 points.
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_html_to_pdf_reports_pages() -> None:
    assert html_to_pdf("<p>一页</p>").pages == 1


async def test_the_renderer_renders_in_niced_child_processes_and_recovers_when_one_dies() -> None:
    renderer = PdfRenderer(concurrency=1, isolation="process", niceness=3)
    try:
        first = await renderer.render(submitted(uuid4()), DOCUMENT)
        assert first.data.startswith(b"%PDF-")
        children = multiprocessing.active_children()
        assert children, "rendered without a child process"
        own = os.getpriority(os.PRIO_PROCESS, 0)
        assert [os.getpriority(os.PRIO_PROCESS, c.pid or 0) for c in children] == [min(own + 3, 19)] * len(children)
        for child in children:
            os.kill(child.pid or 0, signal.SIGKILL)
            child.join()
        with pytest.raises(BrokenProcessPool):
            await renderer.render(submitted(uuid4()), DOCUMENT)
        again = await renderer.render(submitted(uuid4()), DOCUMENT)
        assert ENTERPRISE_NAME in re.sub(r"\s+", "", pdf_text(again.data))
    finally:
        renderer.close()
    assert renderer._pool is None


async def test_threads_render_on_at_most_concurrency_threads_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each thread that renders keeps its fonts: renders must not spread over the loop's default executor.
    seen: set[str] = set()

    def render(event: object, document: object) -> RenderedPdf:
        seen.add(threading.current_thread().name)
        time.sleep(0.01)
        return RenderedPdf(data=b"%PDF-", pages=1)

    monkeypatch.setattr(rendering, "render_public_explanation", render)
    renderer = PdfRenderer(concurrency=2)
    try:
        await asyncio.gather(*(renderer.render(submitted(uuid4()), DOCUMENT) for _ in range(8)))
    finally:
        renderer.close()
    assert 1 <= len(seen) <= 2
    assert all(name.startswith("render") for name in seen), seen
