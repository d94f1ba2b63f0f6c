"""Subscriptions of the read model to the records service's events."""

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.records import service
from bluemap_shared.events.catalog import (
    EnterpriseRegistered,
    EnterpriseUpdated,
    RecordPublished,
    RecordRetracted,
    RecordStatusChanged,
    RecordUpdated,
)
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.events.seen import SnapshotSeen
from bluemap_shared.messaging.inbox import EventConsumer


def register_handlers(consumer: EventConsumer) -> None:
    """Attach this context's handlers to the service's consumer."""

    # Consecutive events of one type come as a batch (each subject once) and are written set-based.

    @consumer.on_batch(RecordPublished)
    async def on_records_published(session: AsyncSession, envelopes: list[Envelope[RecordPublished]]) -> None:
        await service.project_records_published(session, envelopes)

    @consumer.on_batch(RecordUpdated)
    async def on_records_updated(session: AsyncSession, envelopes: list[Envelope[RecordUpdated]]) -> None:
        await service.project_records_updated(session, envelopes)

    @consumer.on(RecordRetracted)
    async def on_record_retracted(session: AsyncSession, envelope: Envelope[RecordRetracted]) -> None:
        await service.project_record_retracted(session, envelope.tenant_id, envelope.data)

    @consumer.on(RecordStatusChanged)
    async def on_record_status_changed(session: AsyncSession, envelope: Envelope[RecordStatusChanged]) -> None:
        await service.project_status_changed(session, envelope.tenant_id, envelope.data)

    @consumer.on_batch(EnterpriseRegistered)
    async def on_enterprises_registered(session: AsyncSession, envelopes: list[Envelope[EnterpriseRegistered]]) -> None:
        await service.project_enterprises(session, [SnapshotSeen.of(envelope) for envelope in envelopes])

    @consumer.on_batch(EnterpriseUpdated)
    async def on_enterprises_updated(session: AsyncSession, envelopes: list[Envelope[EnterpriseUpdated]]) -> None:
        await service.project_enterprises(session, [SnapshotSeen.of(envelope) for envelope in envelopes])
