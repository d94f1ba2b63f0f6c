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

    # Consecutive events of one type come as a batch (each subject once) and are written set-based.

    @consumer.on_batch(EnterpriseRegistered)
    async def on_enterprises_registered(session: AsyncSession, envelopes: list[Envelope[EnterpriseRegistered]]) -> None:
        await service.project_enterprises(
            session, [(envelope.tenant_id, envelope.data.enterprise) for envelope in envelopes]
        )

    @consumer.on_batch(EnterpriseUpdated)
    async def on_enterprises_updated(session: AsyncSession, envelopes: list[Envelope[EnterpriseUpdated]]) -> None:
        await service.project_enterprises(
            session, [(envelope.tenant_id, envelope.data.enterprise) for envelope in envelopes]
        )

    @consumer.on_batch(RecordPublished)
    async def on_records_published(session: AsyncSession, envelopes: list[Envelope[RecordPublished]]) -> None:
        await service.project_records(session, [(envelope.tenant_id, envelope.data) for envelope in envelopes])

    @consumer.on_batch(RecordUpdated)
    async def on_records_updated(session: AsyncSession, envelopes: list[Envelope[RecordUpdated]]) -> None:
        await service.project_records(session, [(envelope.tenant_id, envelope.data) for envelope in envelopes])

    @consumer.on(RecordRetracted)
    async def on_record_retracted(session: AsyncSession, envelope: Envelope[RecordRetracted]) -> None:
        await service.retract_record(session, envelope.tenant_id, envelope.data.record_id)
