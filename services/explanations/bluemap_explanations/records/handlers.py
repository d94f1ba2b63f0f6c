"""Subscriptions of the read model to the records service's events."""

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.records import service
from bluemap_shared.events.catalog import RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging.inbox import EventConsumer


def register_handlers(consumer: EventConsumer) -> None:
    """Attach this context's handlers to the service's consumer."""

    @consumer.on(RecordPublished)
    async def on_record_published(session: AsyncSession, envelope: Envelope[RecordPublished]) -> None:
        await service.project_record_published(session, envelope.tenant_id, envelope.data)
