"""Subscriptions of the read model to the records service's events."""

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.directory import service
from bluemap_shared.events.catalog import (
    EnterpriseRegistered,
    EnterpriseUpdated,
    RecordPublished,
    RecordRetracted,
    RecordUpdated,
)
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging.inbox import EventConsumer


def register_handlers(consumer: EventConsumer) -> None:
    """Attach this context's handlers to the service's consumer."""

    @consumer.on(EnterpriseRegistered)
    async def on_enterprise_registered(session: AsyncSession, envelope: Envelope[EnterpriseRegistered]) -> None:
        await service.project_enterprise(session, envelope.tenant_id, envelope.data.enterprise)

    @consumer.on(EnterpriseUpdated)
    async def on_enterprise_updated(session: AsyncSession, envelope: Envelope[EnterpriseUpdated]) -> None:
        await service.project_enterprise(session, envelope.tenant_id, envelope.data.enterprise)

    @consumer.on(RecordPublished)
    async def on_record_published(session: AsyncSession, envelope: Envelope[RecordPublished]) -> None:
        await service.project_record(session, envelope.tenant_id, envelope.data)

    @consumer.on(RecordUpdated)
    async def on_record_updated(session: AsyncSession, envelope: Envelope[RecordUpdated]) -> None:
        await service.project_record(session, envelope.tenant_id, envelope.data)

    @consumer.on(RecordRetracted)
    async def on_record_retracted(session: AsyncSession, envelope: Envelope[RecordRetracted]) -> None:
        await service.retract_record(session, envelope.tenant_id, envelope.data.record_id)
