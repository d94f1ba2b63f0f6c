"""Documents' events, applied as steps of the submission's own transition table."""

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.submissions import service
from bluemap_shared.events.catalog import DocumentRejected, PdfRendered, PdfSigned
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging.inbox import EventConsumer


def register_handlers(consumer: EventConsumer) -> None:
    """Attach this context's handlers to the service's consumer."""

    @consumer.on(PdfRendered)
    async def on_pdf_rendered(session: AsyncSession, envelope: Envelope[PdfRendered]) -> None:
        await service.on_pdf_rendered(session, envelope.tenant_id, envelope.data)

    @consumer.on(PdfSigned)
    async def on_pdf_signed(session: AsyncSession, envelope: Envelope[PdfSigned]) -> None:
        await service.on_pdf_signed(session, envelope.tenant_id, envelope.data)

    # Upgrade only: documents refused scans itself before the whole-submission review.
    @consumer.on(DocumentRejected)
    async def on_legacy_scan_rejected(session: AsyncSession, envelope: Envelope[DocumentRejected]) -> None:
        await service.on_legacy_scan_rejected(session, envelope.tenant_id, envelope.data)
