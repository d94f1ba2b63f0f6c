"""Event handlers that keep the portal's read model up to date."""

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.documents import service as documents
from bluemap_portal.enterprises.service import project_snapshots
from bluemap_portal.explanations import service as explanations
from bluemap_portal.history import leaves
from bluemap_portal.history.service import append as append_history
from bluemap_portal.records import service as records
from bluemap_shared.events.catalog import (
    DocumentPublished,
    EnterpriseRegistered,
    EnterpriseUpdated,
    ExplanationPublished,
    ExplanationPublishedV2,
    PdfRendered,
    RecordPublished,
    RecordRetracted,
    RecordStatusChanged,
    RecordUpdated,
)
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.events.seen import SnapshotSeen
from bluemap_shared.messaging import EventConsumer


def register_handlers(consumer: EventConsumer) -> None:
    """Subscribe the projections to the consumer; each public change is also appended to the history log."""

    # A batch of these (consecutive events of one type, each subject once) is written set-based: one
    # statement per table. Many records may name one enterprise: project_snapshots keeps the latest.

    @consumer.on_batch(EnterpriseRegistered)
    async def on_enterprises_registered(session: AsyncSession, envelopes: list[Envelope[EnterpriseRegistered]]) -> None:
        """Add the enterprises to the public directory."""
        await project_snapshots(session, [SnapshotSeen.of(envelope) for envelope in envelopes])

    @consumer.on_batch(EnterpriseUpdated)
    async def on_enterprises_updated(session: AsyncSession, envelopes: list[Envelope[EnterpriseUpdated]]) -> None:
        """Show enterprises' new names, unless a later event already told them."""
        await project_snapshots(session, [SnapshotSeen.of(envelope) for envelope in envelopes])

    @consumer.on_batch(RecordPublished)
    async def on_records_published(session: AsyncSession, envelopes: list[Envelope[RecordPublished]]) -> None:
        """Show the records; their enterprise snapshots also cover a registration not seen yet."""
        await project_snapshots(session, [SnapshotSeen.of(envelope) for envelope in envelopes])
        await records.project_records_published(
            session, [(envelope.tenant_id, envelope.data) for envelope in envelopes]
        )
        await append_history(session, [leaves.record_published(envelope) for envelope in envelopes])

    @consumer.on_batch(RecordUpdated)
    async def on_records_updated(session: AsyncSession, envelopes: list[Envelope[RecordUpdated]]) -> None:
        """Show records' new content."""
        await project_snapshots(session, [SnapshotSeen.of(envelope) for envelope in envelopes])
        await records.project_records_updated(session, [(envelope.tenant_id, envelope.data) for envelope in envelopes])
        await append_history(session, [leaves.record_revised(envelope) for envelope in envelopes])

    @consumer.on(RecordRetracted)
    async def on_record_retracted(session: AsyncSession, envelope: Envelope[RecordRetracted]) -> None:
        """Hide a withdrawn record (and with it its explanations)."""
        await records.project_record_retracted(session, envelope.tenant_id, envelope.data)
        await append_history(session, [leaves.record_retracted(envelope)])

    @consumer.on(RecordStatusChanged)
    async def on_record_status_changed(session: AsyncSession, envelope: Envelope[RecordStatusChanged]) -> None:
        await records.project_status_changed(session, envelope.tenant_id, envelope.data)
        await append_history(session, [leaves.record_status_changed(envelope)])

    @consumer.on(ExplanationPublishedV2)
    @consumer.on(ExplanationPublished)  # v1: may still be in flight from before the whole-submission review
    async def on_explanation_published(session: AsyncSession, envelope: Envelope[ExplanationPublished]) -> None:
        """Show the approved explanation under its record and in Enterprise Feedback."""
        await explanations.project_published(session, envelope.tenant_id, envelope.data)
        await append_history(session, [leaves.explanation_published(envelope)])

    @consumer.on(DocumentPublished)
    async def on_document_published(session: AsyncSession, envelope: Envelope[DocumentPublished]) -> None:
        """List the approved document under its records, its enterprise and in Enterprise Feedback."""
        await documents.project_published(session, envelope.tenant_id, envelope.data)
        await append_history(session, [leaves.document_published(envelope)])

    @consumer.on(PdfRendered)
    async def on_pdf_rendered(session: AsyncSession, envelope: Envelope[PdfRendered]) -> None:
        """Remember the public explanation's number and verification code for the verify page."""
        await documents.project_rendered(session, envelope.tenant_id, envelope.data)
