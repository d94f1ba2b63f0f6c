"""The public explanation PDF: a jinja2 template rendered by WeasyPrint in child processes or threads."""

import asyncio
import base64
import gc
import io
import multiprocessing
import os
import textwrap
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import qrcode
import qrcode.constants
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from bluemap_shared.events.catalog import ExplanationSubmitted

TEMPLATE = "public_explanation.html"
DEFAULT_BRAND_COLOUR = "#1d4f91"

_warm = False
_warm_lock = threading.Lock()
_fonts = threading.local()

# The records service owns record types; these labels only decorate the printed headings.
RECORD_TYPE_LABELS: dict[str, tuple[str, str]] = {
    "environmental_supervision": ("环境监管记录", "Environmental Supervision Record"),
    "rectification_order": ("整改通知", "Rectification Order"),
    "cleaner_production_audit": ("清洁生产审核", "Cleaner Production Audit"),
    "environmental_credit_rating": ("环境信用评价", "Environmental Credit Rating"),
    "production_restriction": ("停产限产", "Production Suspension/Restriction"),
    "performance_grading": ("绩效分级", "Performance Grading by the Gov"),
    "environmental_accident_risk": ("环境事故风险", "Environmental Accident Risk"),
    "accident": ("事故", "Accident"),
    "safety_supervision": ("安全监管记录", "Safety Supervision Record"),
    "inspection_report": ("督查报告", "Inspection Report"),
    "automated_monitoring": ("自动监测数据", "Automated Monitoring Data"),
}

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "企业环境信息公开说明",
        "site": "蔚蓝地图",
        "subtitle": "{site}数据库 · 公开说明与整改情况",
        "number": "文件编号",
        "enterprise": "企业名称",
        "enterprise_en": "英文名称",
        "uscc": "统一社会信用代码",
        "submitted": "提交日期",
        "records": "记录说明",
        "record": "记录",
        "year": "年份",
        "source": "来源",
        "authority": "发布机关",
        "issued_on": "发布日期",
        "violation": "违规情况说明",
        "reasons": "违规原因",
        "corrective_actions": "整改措施",
        "monitoring": "自动监测超标情况",
        "pollutant": "污染物",
        "measured": "监测值",
        "limit": "标准限值",
        "period": "超标时段",
        "commitments": "企业承诺",
        "commitment_accuracy": "信息真实性承诺",
        "commitment_deadline": "及时说明承诺",
        "accepted_at": "确认时间",
        "verification": "验证码",
        "verification_hint": "扫描二维码或访问以下网址，核验本文件内容是否与平台记录一致：",
        "seal": "企业公章",
        "signature": "法定代表人或授权代表签字",
        "date": "日期",
        "date_blank": "年　　月　　日",
        "page": "第 {page} 页，共 {pages} 页",
        "colon": "：",
    },
    "en": {
        "title": "Public Explanation of Environmental Records",
        "site": "Blue Map",
        "subtitle": "{site} Database · public explanations and corrective actions",
        "number": "Document No.",
        "enterprise": "Enterprise",
        "enterprise_en": "English name",
        "uscc": "Unified Social Credit Code",
        "submitted": "Submitted on",
        "records": "Explanations of records",
        "record": "Record",
        "year": "Year",
        "source": "Source",
        "authority": "Issuing authority",
        "issued_on": "Issued on",
        "violation": "The violation",
        "reasons": "Reasons for the violation",
        "corrective_actions": "Corrective actions",
        "monitoring": "Automated monitoring exceedance",
        "pollutant": "Pollutant",
        "measured": "Measured value",
        "limit": "Limit",
        "period": "Period",
        "commitments": "Commitments",
        "commitment_accuracy": "Commitment to accuracy",
        "commitment_deadline": "Commitment to explain within 10 working days",
        "accepted_at": "Accepted at",
        "verification": "Verification code",
        "verification_hint": "Scan the QR code or visit this address to check the document against the platform:",
        "seal": "Official seal of the enterprise",
        "signature": "Signature of the legal or authorised representative",
        "date": "Date",
        "date_blank": "",
        "page": "Page {page} of {pages}",
        "colon": ": ",
    },
}

_environment = Environment(
    loader=PackageLoader("bluemap_documents", "submissions/templates"),
    # Every value comes from enterprise input: escaped, always, whatever the template says.
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def qr_svg_data_uri(text: str) -> str:
    """A QR code of text as an SVG data URI, one rectangle per run of dark modules (compact, fast to draw)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    path: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                path.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{"".join(path)}"/></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def qr_png_data_uri(text: str) -> str:
    """A QR code of text as a 1-bit PNG data URI, one pixel per module: a raster is drawn once per PDF, not per page."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, box_size=1)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, kind="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@dataclass(frozen=True)
class PublicExplanation:
    """Everything the template needs besides the submission itself."""

    tenant_id: str
    document_number: str
    verification_code: str
    verify_url: str
    timezone: ZoneInfo
    # The tenant's name in the document's language and its brand colour; the platform's when None.
    site_name: str | None = None
    brand_colour: str | None = None


def css_string(text: str) -> Markup:
    """text inside a CSS string of the <style> element: all but letters, digits and spaces as CSS escapes.

    A tenant's name is data; in raw <style> text HTML escaping means nothing, CSS escaping does.
    """
    return Markup("".join(c if c.isalnum() or c == " " else f"\\{ord(c):06x}" for c in text))  # noqa: S704


def _local(value: datetime, timezone: ZoneInfo) -> str:
    local = value.astimezone(timezone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def public_explanation_html(event: ExplanationSubmitted, document: PublicExplanation) -> str:
    """The document as HTML, in the submission's language."""
    language = event.language
    labels = LABELS[language]
    labels = {**labels, "subtitle": labels["subtitle"].replace("{site}", document.site_name or labels["site"])}
    records: list[dict[str, Any]] = []
    for item in event.explanations:
        type_labels = RECORD_TYPE_LABELS.get(item.record_type)
        monitoring = item.monitoring
        records.append(
            {
                "type": (type_labels[0] if language == "zh" else type_labels[1]) if type_labels else item.record_type,
                "item": item,
                "monitoring_period": ""
                if monitoring is None
                else f"{_local(monitoring.period_start, document.timezone)} – "
                f"{_local(monitoring.period_end, document.timezone)}",
            }
        )
    commitments = [
        {
            "title": labels[f"commitment_{commitment.kind}"],
            "text": commitment.text,
            "accepted_at": _local(commitment.accepted_at, document.timezone),
        }
        for commitment in sorted(event.commitments, key=lambda c: (c.kind, c.accepted_at))
    ]
    page_before, _, rest = labels["page"].partition("{page}")
    page_between, _, page_after = rest.partition("{pages}")
    return _environment.get_template(TEMPLATE).render(
        lang="zh-CN" if language == "zh" else "en",
        language=language,
        t=labels,
        page_label={"before": page_before, "between": page_between, "after": page_after},
        enterprise=event.enterprise,
        submitted_on=event.submitted_at.astimezone(document.timezone).date().isoformat(),
        records=records,
        commitments=commitments,
        document=document,
        qr_code=qr_svg_data_uri(document.verify_url),
        page_qr_code=qr_png_data_uri(document.verify_url),
        page_code=" ".join(textwrap.wrap(document.verification_code, 16)),
        brand_colour=document.brand_colour or DEFAULT_BRAND_COLOUR,
        subtitle_css=css_string(labels["subtitle"]),
    )


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int


def _font_configuration() -> FontConfiguration:
    """This thread's fontconfig and Pango font map, kept from one render to the next.

    Without it each render builds its own (WeasyPrint's default): fontconfig loaded again, and every
    font the document uses opened and measured again. Per thread, since Pango's font maps are not
    shared safely between threads; a rendering process has one, recycled with it.
    """
    fonts: FontConfiguration | None = getattr(_fonts, "configuration", None)
    if fonts is None:
        fonts = _fonts.configuration = FontConfiguration()
    return fonts


def _layout_and_write(html: str) -> RenderedPdf:
    fonts = _font_configuration()
    document = HTML(string=html).render(font_config=fonts)
    return RenderedPdf(data=document.write_pdf(), pages=len(document.pages))


def _collect_garbage() -> None:
    gc.collect()
    global _warm
    if not _warm:
        with _warm_lock:
            if not _warm:
                # After the first render the heap holds what lives as long as the process (modules,
                # WeasyPrint's and fontconfig's caches): frozen, later full collections skip it and
                # take ~5 ms instead of ~50 ms, a tenth of a render (bench/pdf_pipeline.py). Done
                # once: what was alive then but dies later stays, a small and bounded cost.
                gc.freeze()
                _warm = True


def html_to_pdf(html: str) -> RenderedPdf:
    """The PDF of an HTML document (blocking: run it in a rendering process or worker thread)."""
    try:
        return _layout_and_write(html)
    finally:
        # WeasyPrint's layout trees are cyclic: without a full collection after each render a
        # loop of renders peaks near 600 MB instead of about 200 MB (bench/pdf_pipeline.py). The
        # layout lives in the helper's frame, so it is unreachable by the time this runs.
        _collect_garbage()


def render_public_explanation(event: ExplanationSubmitted, document: PublicExplanation) -> RenderedPdf:
    """Template, then PDF: the whole pipeline of one submission (blocking: run it off the event loop)."""
    return html_to_pdf(public_explanation_html(event, document))


RenderIsolation = Literal["process", "thread"]
# A rendering process is recycled after this many documents, so whatever WeasyPrint's caches keep
# (fonts, stylesheets of documents gone) cannot grow without bound in a long-lived service.
RENDERS_PER_PROCESS = 500


def _start_render_process(niceness: int) -> None:
    """Lower the process's priority, then load WeasyPrint and its fonts, before the first job."""
    # Rendering is batch work: the service's event loop, other services and the database answer
    # requests and events first, and the renders take what CPU is left.
    os.nice(niceness)
    html_to_pdf('<html lang="zh-CN"><body style="font-family: \'Noto Sans CJK SC\'">预热 warm-up</body></html>')


class PdfRenderer:
    """Renders at most `concurrency` documents at a time, in child processes or in worker threads.

    Layout is Python under the GIL: rendered in threads, it starves the service's event loop (its
    consumer, uploads and downloads) for as long as a burst lasts. Child processes leave that loop
    free and render on as many cores as `concurrency`; threads keep the embedded default in one
    process.
    """

    def __init__(self, concurrency: int, *, isolation: RenderIsolation = "thread", niceness: int = 0) -> None:
        self.concurrency = concurrency
        self.isolation = isolation
        self.niceness = niceness
        self._slots = asyncio.Semaphore(concurrency)
        self._pool: ProcessPoolExecutor | None = None
        # Threads of its own, not the loop's default executor: each thread that renders keeps its fonts
        # (~50 MB), so at most `concurrency` threads may ever render.
        self._threads: ThreadPoolExecutor | None = None

    def open(self) -> None:
        """Start the rendering processes (no-op for threads); render() does it on first use too."""
        if self.isolation != "process" or self._pool is not None:
            return
        context = multiprocessing.get_context("forkserver")
        # Children fork from a server that imported this module, not from the service process:
        # no inherited event loop, sockets or database connections, and no import cost per child.
        context.set_forkserver_preload([__name__])
        self._pool = ProcessPoolExecutor(
            max_workers=self.concurrency,
            mp_context=context,
            initializer=_start_render_process,
            initargs=(self.niceness,),
            max_tasks_per_child=RENDERS_PER_PROCESS,
        )
        for _ in range(self.concurrency):
            self._pool.submit(int)  # spawns each process now, not on the first submission's clock

    def close(self) -> None:
        """Stop the rendering processes or threads; renders under way are abandoned (their leases expire and retry)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        threads, self._threads = self._threads, None
        if threads is not None:
            threads.shutdown(wait=False, cancel_futures=True)

    async def render(self, event: ExplanationSubmitted, document: PublicExplanation) -> RenderedPdf:
        async with self._slots:
            if self.isolation == "thread":
                if self._threads is None:
                    self._threads = ThreadPoolExecutor(self.concurrency, thread_name_prefix="render")
                return await asyncio.get_running_loop().run_in_executor(
                    self._threads, render_public_explanation, event, document
                )
            self.open()
            assert self._pool is not None
            pool = self._pool
            try:
                return await asyncio.get_running_loop().run_in_executor(
                    pool, render_public_explanation, event, document
                )
            except BrokenProcessPool:
                # A child died (killed, out of memory): this render fails and is retried; the next
                # render gets fresh processes.
                if self._pool is pool:
                    self.close()
                raise
