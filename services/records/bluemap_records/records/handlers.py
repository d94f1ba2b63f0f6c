"""The disclosure workflow of the other services moves records through their lifecycle."""

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.records.lifecycle import Trigger
from bluemap_records.records.service import advance
from bluemap_shared.events.catalog import ExplanationPublished, ExplanationRejected, ExplanationSubmitted, PdfSigned
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging import EventConsumer


def register_handlers(consumer: EventConsumer) -> None:
    """Subscribe the records service to the workflow events (each runs in its inbox transaction)."""

    @consumer.on(ExplanationSubmitted)
    async def explanation_submitted(session: AsyncSession, envelope: Envelope[ExplanationSubmitted]) -> None:
        event = envelope.data
        for explanation in event.explanations:
            await advance(
                session,
                envelope.tenant_id,
                explanation.record_id,
                Trigger.EXPLANATION_SUBMITTED,
                enterprise_id=event.enterprise.enterprise_id,
                cause_event_id=envelope.id,
                actor=event.submitted_by,
            )

    @consumer.on(PdfSigned)
    async def pdf_signed(session: AsyncSession, envelope: Envelope[PdfSigned]) -> None:
        event = envelope.data
        for record_id in event.record_ids:
            await advance(
                session,
                envelope.tenant_id,
                record_id,
                Trigger.PDF_SIGNED,
                enterprise_id=event.enterprise_id,
                cause_event_id=envelope.id,
                actor=event.uploaded_by,
            )

    @consumer.on(ExplanationPublished)
    async def explanation_published(session: AsyncSession, envelope: Envelope[ExplanationPublished]) -> None:
        event = envelope.data
        await advance(
            session,
            envelope.tenant_id,
            event.record_id,
            Trigger.EXPLANATION_PUBLISHED,
            enterprise_id=event.enterprise_id,
            cause_event_id=envelope.id,
            actor=event.reviewed_by,
            reason=event.comment,
        )

    @consumer.on(ExplanationRejected)
    async def explanation_rejected(session: AsyncSession, envelope: Envelope[ExplanationRejected]) -> None:
        event = envelope.data
        await advance(
            session,
            envelope.tenant_id,
            event.record_id,
            Trigger.EXPLANATION_REJECTED,
            enterprise_id=event.enterprise_id,
            cause_event_id=envelope.id,
            actor=event.reviewed_by,
            reason=event.comment,
        )
