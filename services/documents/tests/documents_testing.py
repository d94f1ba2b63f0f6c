"""Helpers of the documents tests (a module name of its own: pytest puts every tests folder on sys.path)."""

import hashlib
import io
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any, Literal
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import httpx
import orjson
import pypdfium2 as pdfium
from PIL import Image, ImageFilter
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from sqlmodel import col, select
from weasyprint import HTML

from bluemap_documents.bootstrap import DocumentsService
from bluemap_documents.submissions.rendering import qr_svg_data_uri
from bluemap_shared.events.catalog import (
    CommitmentReference,
    EnterpriseSnapshot,
    ExplanationSubmitted,
    MonitoringDetails,
    RecordPublished,
    SubmittedExplanation,
)
from bluemap_shared.events.envelope import Envelope, IntegrationEvent, Message
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging.models import OutboxMessage
from bluemap_shared.storage import S3Storage

# Small, so over-limit uploads stay cheap; big enough that a file spans several network chunks, and for
# a signed scan of a rendered PDF (its fonts alone weigh ~300 KB, a scanned page ~250 KB).
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_PDF_PAGES = 3
PUBLIC_BASE_URL = "https://bluemap.example.org"


@dataclass
class Running:
    service: DocumentsService
    client: httpx.AsyncClient


class CountingS3Storage(S3Storage):
    """The real S3 storage, counting the objects it writes: deduplication must skip the second put."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.puts: list[str] = []

    async def put(self, key: str, source: IO[bytes], *, length: int, content_type: str, sha256: str) -> None:
        self.puts.append(key)
        await super().put(key, source, length=length, content_type=content_type, sha256=sha256)


def pdf(size: int = 2048) -> bytes:
    """A plain one-page PDF of exactly `size` bytes, of its own: random bytes in an unused stream pad it."""

    def written(padding: int) -> bytes:
        writer = PdfWriter()
        writer.add_blank_page(595, 842)
        stream = DecodedStreamObject()
        stream.set_data(os.urandom(padding))
        writer._root_object[NameObject("/BluemapTestPadding")] = writer._add_object(stream)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    overhead = len(written(0))
    data = written(max(0, size - overhead - 16))
    # Whitespace after %%EOF (well inside the checked window) makes the size exact.
    return data + b"\n" * (size - len(data)) if len(data) <= size else data


def upload_files(data: bytes, filename: str = "测试.pdf", content_type: str = "application/pdf") -> dict[str, Any]:
    return {"file": (filename, data, content_type)}


# ---------------------------------------------------------------- the disclosure workflow

ENTERPRISE_NAME = "陕西永安兴庆门业有限公司"
ENTERPRISE_NAME_EN = "Shaanxi Yong'an Xingqing Door Industry Co., Ltd."
SOURCE_TITLE = "关于对强化监督定点帮扶发现问题进行督办的函(西安)"
AUTHORITY = "中华人民共和国生态环境部"
VIOLATION = "喷漆房废气收集处理设施未正常运行，<b>活性炭</b>未按期更换。"


def snapshot(enterprise_id: UUID) -> EnterpriseSnapshot:
    return EnterpriseSnapshot(
        enterprise_id=enterprise_id, uscc="91610100MA6TG7XQ3K", name=ENTERPRISE_NAME, name_en=ENTERPRISE_NAME_EN
    )


def submitted(
    enterprise_id: UUID,
    *,
    language: Literal["zh", "en"] = "zh",
    record_ids: list[UUID] | None = None,
    monitoring: bool = True,
) -> ExplanationSubmitted:
    """A realistic Send of two records, one of them an automated-monitoring exceedance."""
    record_ids = record_ids or [uuid7(), uuid7()]
    accepted = datetime(2026, 3, 2, 6, 5, tzinfo=UTC)
    explanations = [
        SubmittedExplanation(
            explanation_id=uuid7(),
            record_id=record_id,
            record_type="automated_monitoring" if monitoring and index == 1 else "environmental_supervision",
            year=2020,
            source_title=SOURCE_TITLE if index == 0 else f"{ENTERPRISE_NAME}自动监测超标记录",
            issuing_authority=AUTHORITY if index == 0 else "信用中国（陕西）",
            issued_on=date(2020, 2, 20),
            violation=VIOLATION,
            reasons="设备检修期间未及时向生态环境部门报告，值班人员未按规程操作。",
            corrective_actions="已恢复废气处理设施运行，更换活性炭并加装在线监控；\n制定设备检修报备制度。",
            monitoring=MonitoringDetails(
                pollutant="二氧化硫",
                measured_value="152.3",
                limit_value="100",
                unit="mg/m³",
                period_start=datetime(2020, 3, 1, 2, tzinfo=UTC),
                period_end=datetime(2020, 3, 1, 5, tzinfo=UTC),
            )
            if monitoring and index == 1
            else None,
        )
        for index, record_id in enumerate(record_ids)
    ]
    texts = {
        "zh": {
            "accuracy": "我们保证所提供的信息真实准确，并知悉相关信息将向社会公开。",
            "deadline": "如出现新的违规记录，我们承诺在10个工作日内采取整改措施并作出公开说明。",
        },
        "en": {
            "accuracy": "We guarantee that all information provided is genuine and accurate.",
            "deadline": "If new violations occur, we promise to take corrective actions within 10 working days.",
        },
    }[language]
    return ExplanationSubmitted(
        submission_id=uuid7(),
        enterprise=snapshot(enterprise_id),
        language=language,
        explanations=explanations,
        commitments=[
            CommitmentReference(
                kind=kind,  # type: ignore[arg-type]
                version=1,
                language=language,
                text=text,
                text_sha256=hashlib.sha256(text.encode()).hexdigest(),
                accepted_by="staff-1",
                accepted_at=accepted,
            )
            for kind, text in texts.items()
        ],
        submitted_by="staff-1",
        submitted_at=datetime(2026, 3, 2, 6, 6, tzinfo=UTC),
    )


def record_published(enterprise_id: UUID, record_id: UUID | None = None) -> RecordPublished:
    return RecordPublished(
        record_id=record_id or uuid7(),
        enterprise=snapshot(enterprise_id),
        record_type="environmental_supervision",
        explainable=True,
        year=2020,
        source_title=SOURCE_TITLE,
        issuing_authority=AUTHORITY,
        issued_on=date(2020, 2, 20),
        published_at=datetime(2026, 3, 1, tzinfo=UTC),
    )


def message(event: IntegrationEvent, tenant: str) -> Message:
    """The event as the transport would carry it (a fresh event id each call)."""
    return Envelope(data=event, tenant_id=tenant, source="/bluemap/tests", subject=event.subject()).to_message()


async def deliver(app: Running, event: IntegrationEvent | Message, tenant: str = "") -> Message:
    """Hand the service's consumer one message, as the transport would; returns it for a redelivery."""
    delivered = event if isinstance(event, Message) else message(event, tenant)
    await app.service.runtime.consumer.process(delivered)
    return delivered


async def events_of(app: Running, tenant: str, event: type[IntegrationEvent]) -> list[dict[str, Any]]:
    """Payloads of one type this service emitted for the tenant, in order."""
    async with app.service.runtime.sessionmaker() as session:
        rows = await session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.tenant_id == tenant, OutboxMessage.event_type == event.event_type)
            .order_by(col(OutboxMessage.id))
        )
        return [orjson.loads(row.payload) for row in rows]


def path_and_query(url: str) -> str:
    """A capability URL relative to the service's API root, for the in-process client."""
    parts = urlsplit(url)
    return parts.path.removeprefix("/api/documents") + (f"?{parts.query}" if parts.query else "")


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# ---------------------------------------------------------------- crafted PDFs


def scan_of(
    pdf: bytes,
    *,
    pages: Sequence[int] | None = None,
    footer_hidden_on: Collection[int] = (),
    dpi: int = 150,
    angle: float = 0.8,
    cover_page: bool = False,
) -> bytes:
    """The PDF as printed and scanned back: each page an image (no text layer), a little rotated, noisy, blurred.

    pages: which pages (0-based) in which order, default all; footer_hidden_on: pages whose bottom margin (the
    code and QR printed on every page) the scanner cut off; cover_page: a blank page scanned first.
    """
    document = pdfium.PdfDocument(pdf)
    try:
        images = []
        for index in pages if pages is not None else range(len(document)):
            bitmap = document[index].render(scale=dpi / 72, grayscale=True)
            image = bitmap.to_pil().convert("L")
            if index in footer_hidden_on:
                width, height = image.size
                image.paste(255, (0, int(height * 0.91), width, height))
            image = image.rotate(angle, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
            noise = Image.effect_noise(image.size, 40).convert("L")
            image = Image.blend(image, noise, 0.06).filter(ImageFilter.GaussianBlur(0.5))
            images.append(image)
    finally:
        document.close()
    if cover_page:
        images.insert(0, Image.new("L", images[0].size, 255))
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=dpi, quality=75)
    return out.getvalue()


def invoice_pdf() -> bytes:
    """An unrelated PDF: an invoice, with a text layer and a QR code of a payment link."""
    qr = qr_svg_data_uri("https://pay.example.com/invoice/2026-0042")
    data: bytes = HTML(
        string=f"<h1>发票 Invoice 2026-0042</h1><p>Total: 1,234.00 CNY</p><img src='{qr}' style='width:30mm'>"
    ).write_pdf()
    return data


def _written(writer: PdfWriter) -> bytes:
    # Unique bytes per call: no two tests share a content-addressed object.
    writer.add_metadata({"/Title": uuid4().hex})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def signed_copy(pdf: bytes) -> bytes:
    """The rendered PDF as the enterprise may upload it when it signs digitally: its pages and text, new bytes."""
    return _written(PdfWriter(clone_from=PdfReader(io.BytesIO(pdf))))


def real_pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    return _written(writer)


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password="", owner_password="owner")
    return _written(writer)


def javascript_open_action_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('hi')"),
        }
    )
    return _written(writer)


def javascript_name_tree_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_open_action(JavaScript("this.print({bUI:true});"))
    return _written(writer)


def additional_actions_pdf() -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    page[NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): DictionaryObject({NameObject("/S"): NameObject("/GoTo")})}
    )
    return _written(writer)


def embedded_file_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("payload.exe", b"MZ not really")
    return _written(writer)


def file_attachment_annotation_pdf() -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(10), NumberObject(10)]),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    return _written(writer)


def zero_page_pdf() -> bytes:
    return _written(PdfWriter())


def truncated_pdf() -> bytes:
    data = real_pdf(2)
    return data[: len(data) * 2 // 3]


def obfuscated_javascript_pdf() -> bytes:
    """/JS spelled with a #-escape, which readers decode: a byte search for /JS would miss it."""
    marker = uuid4().hex.encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /S /#4Aava#53cript /J#53 (app.alert\\(1\\)) /Marker (" + marker + b") >>",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return body
