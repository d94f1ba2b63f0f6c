"""Event handlers: which integration events queue which emails."""

from collections.abc import Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.emails import service
from bluemap_shared.db import on_commit
from bluemap_shared.events.catalog import RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging import EventConsumer


def register_handlers(consumer: EventConsumer, *, portal_base_url: str, wake_dispatcher: Callable[[], None]) -> None:
    """Subscribe the email handlers to the consumer."""

    @consumer.on(RecordPublished)
    async def on_record_published(session: AsyncSession, envelope: Envelope[RecordPublished]) -> None:
        """Email the enterprise that a record about it was published."""
        email = await service.queue_record_published(session, envelope, portal_base_url=portal_base_url)
        if email is not None:
            # Woken only once the row is committed, so the dispatcher can see it.
            on_commit(session, wake_dispatcher)
