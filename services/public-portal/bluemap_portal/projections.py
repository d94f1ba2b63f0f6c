"""Event handlers that keep the portal's read model up to date."""

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.enterprises.service import project_snapshot
from bluemap_portal.records.service import project_record_published
from bluemap_shared.events.catalog import EnterpriseRegistered, RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging import EventConsumer


def register_handlers(consumer: EventConsumer) -> None:
    """Subscribe the projections to the consumer."""

    @consumer.on(EnterpriseRegistered)
    async def on_enterprise_registered(session: AsyncSession, envelope: Envelope[EnterpriseRegistered]) -> None:
        """Add the enterprise to the public directory."""
        await project_snapshot(session, envelope.tenant_id, envelope.data.enterprise, envelope.time)

    @consumer.on(RecordPublished)
    async def on_record_published(session: AsyncSession, envelope: Envelope[RecordPublished]) -> None:
        """Show the record; its enterprise snapshot also covers a registration not seen yet."""
        await project_snapshot(session, envelope.tenant_id, envelope.data.enterprise, envelope.time)
        await project_record_published(session, envelope.tenant_id, envelope.data)
