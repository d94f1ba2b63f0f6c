"""Subscriptions of explanations to the documents service's events."""

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.explanations import service
from bluemap_shared.events.catalog import DocumentStored
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging.inbox import EventConsumer


def register_handlers(consumer: EventConsumer) -> None:
    """Attach this context's handlers to the service's consumer."""

    @consumer.on(DocumentStored)
    async def on_document_stored(session: AsyncSession, envelope: Envelope[DocumentStored]) -> None:
        await service.project_document_stored(session, envelope.tenant_id, envelope.data)
