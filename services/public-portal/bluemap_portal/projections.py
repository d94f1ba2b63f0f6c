"""Event handlers that keep the portal's read model up to date."""

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.documents import service as documents
from bluemap_portal.enterprises.service import project_snapshot
from bluemap_portal.explanations import service as explanations
from bluemap_portal.records import service as records
from bluemap_shared.events.catalog import (
    DocumentPublished,
    EnterpriseRegistered,
    EnterpriseUpdated,
    ExplanationPublished,
    PdfRendered,
    RecordPublished,
    RecordRetracted,
    RecordStatusChanged,
    RecordUpdated,
)
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging import EventConsumer


def register_handlers(consumer: EventConsumer) -> None:
    """Subscribe the projections to the consumer."""

    @consumer.on(EnterpriseRegistered)
    async def on_enterprise_registered(session: AsyncSession, envelope: Envelope[EnterpriseRegistered]) -> None:
        """Add the enterprise to the public directory."""
        await project_snapshot(session, envelope.tenant_id, envelope.data.enterprise, envelope.time)

    @consumer.on(EnterpriseUpdated)
    async def on_enterprise_updated(session: AsyncSession, envelope: Envelope[EnterpriseUpdated]) -> None:
        """Show an enterprise's new names, unless a later event already told them."""
        await project_snapshot(session, envelope.tenant_id, envelope.data.enterprise, envelope.time)

    @consumer.on(RecordPublished)
    async def on_record_published(session: AsyncSession, envelope: Envelope[RecordPublished]) -> None:
        """Show the record; its enterprise snapshot also covers a registration not seen yet."""
        await project_snapshot(session, envelope.tenant_id, envelope.data.enterprise, envelope.time)
        await records.project_record_published(session, envelope.tenant_id, envelope.data)

    @consumer.on(RecordUpdated)
    async def on_record_updated(session: AsyncSession, envelope: Envelope[RecordUpdated]) -> None:
        """Show a record's new content."""
        await project_snapshot(session, envelope.tenant_id, envelope.data.enterprise, envelope.time)
        await records.project_record_updated(session, envelope.tenant_id, envelope.data)

    @consumer.on(RecordRetracted)
    async def on_record_retracted(session: AsyncSession, envelope: Envelope[RecordRetracted]) -> None:
        """Hide a withdrawn record (and with it its explanations)."""
        await records.project_record_retracted(session, envelope.tenant_id, envelope.data)

    @consumer.on(RecordStatusChanged)
    async def on_record_status_changed(session: AsyncSession, envelope: Envelope[RecordStatusChanged]) -> None:
        await records.project_status_changed(session, envelope.tenant_id, envelope.data)

    @consumer.on(ExplanationPublished)
    async def on_explanation_published(session: AsyncSession, envelope: Envelope[ExplanationPublished]) -> None:
        """Show the approved explanation under its record and in Enterprise Feedback."""
        await explanations.project_published(session, envelope.tenant_id, envelope.data)

    @consumer.on(DocumentPublished)
    async def on_document_published(session: AsyncSession, envelope: Envelope[DocumentPublished]) -> None:
        """List the approved document under its records, its enterprise and in Enterprise Feedback."""
        await documents.project_published(session, envelope.tenant_id, envelope.data)

    @consumer.on(PdfRendered)
    async def on_pdf_rendered(session: AsyncSession, envelope: Envelope[PdfRendered]) -> None:
        """Remember the public explanation's number and verification code for the verify page."""
        await documents.project_rendered(session, envelope.tenant_id, envelope.data)
