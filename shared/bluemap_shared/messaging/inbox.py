"""Idempotent consumers: inbox row and handler effects commit together, or not at all."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_shared.db import SessionMaker, insert_ignore
from bluemap_shared.events.catalog import CATALOG
from bluemap_shared.events.envelope import (
    Envelope,
    IntegrationEvent,
    Message,
    PoisonMessage,
    current_traceparent,
    decode,
    new_traceparent,
)
from bluemap_shared.failpoints import failpoint
from bluemap_shared.messaging.models import DeadLetter, InboxMessage
from bluemap_shared.messaging.transport import Transport, dead_letter_topic

log = structlog.get_logger()

E = TypeVar("E", bound=IntegrationEvent)
Handler = Callable[[AsyncSession, Envelope[Any]], Awaitable[None]]


class EventConsumer:
    """Dispatches a consumer group's messages to handlers, exactly once in effect.

    Deterministic failures (malformed JSON, unknown type, missing fields) go straight to the
    dead letters; handler failures are retried with backoff, then dead-lettered, so one bad
    message never stops its partition.
    """

    def __init__(
        self,
        name: str,
        sessionmaker: SessionMaker,
        transport: Transport,
        *,
        max_attempts: int = 5,
        backoff_seconds: float = 0.2,
        catalog: dict[str, type[IntegrationEvent]] = CATALOG,
    ) -> None:
        self.name = name
        self._sessionmaker = sessionmaker
        self._transport = transport
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._catalog = catalog
        self._handlers: dict[type[IntegrationEvent], Handler] = {}

    def on(self, event: type[E]) -> Callable[[Callable[[AsyncSession, Envelope[E]], Awaitable[None]]], Handler]:
        """Register the handler of one event type (decorator)."""

        def register(handler: Callable[[AsyncSession, Envelope[E]], Awaitable[None]]) -> Handler:
            self._handlers[event] = handler
            return handler

        return register

    @property
    def topics(self) -> set[str]:
        return {event.topic for event in self._handlers}

    async def run(self) -> None:
        """Consume until cancelled."""
        if self._handlers:
            await self._transport.consume(self.name, sorted(self.topics), self)

    async def process(self, message: Message) -> None:
        """Handle one message; never raises, so the partition keeps flowing."""
        try:
            envelope = decode(message, self._catalog)
        except PoisonMessage as exc:
            await self._dead_letter(message, None, exc.reason, exc.detail, attempts=0)
            return
        handler = self._handlers.get(type(envelope.data))
        if handler is None:
            return  # another consumer's event on a shared topic
        token = current_traceparent.set(new_traceparent(envelope.traceparent))
        bound = structlog.contextvars.bound_contextvars(
            consumer=self.name, event_id=str(envelope.id), event_type=envelope.type, tenant_id=envelope.tenant_id
        )
        try:
            with bound:
                await self._handle_with_retries(message, envelope, handler)
        finally:
            current_traceparent.reset(token)

    async def _handle_with_retries(self, message: Message, envelope: Envelope[Any], handler: Handler) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                handled = await self._handle_once(envelope, handler)
                log.info("consumer.handled" if handled else "consumer.duplicate_skipped", attempt=attempt)
                if handled:
                    # Effects committed, offset not yet: where a crash forces a redelivery.
                    await failpoint("consumer.after_handle_commit")
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer.handler_failed", attempt=attempt, error=repr(exc), exc_info=True)
                if attempt == self._max_attempts:
                    await self._dead_letter(message, envelope, "handler-failed", repr(exc), attempts=attempt)
                    return
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))

    async def _handle_once(self, envelope: Envelope[Any], handler: Handler) -> bool:
        async with self._sessionmaker() as session, session.begin():
            if not await self._claim(session, envelope, outcome="handled"):
                return False
            await handler(session, envelope)
            return True

    async def _claim(self, session: AsyncSession, envelope: Envelope[Any], *, outcome: str) -> bool:
        # A concurrent duplicate blocks on the unique key until this transaction ends, then
        # inserts nothing: no check-then-act race.
        return await insert_ignore(
            session,
            InboxMessage,
            {
                "consumer": self.name,
                "event_id": envelope.id,
                "event_type": envelope.type,
                "tenant_id": envelope.tenant_id,
                "outcome": outcome,
            },
            ("consumer", "event_id"),
        )

    async def _dead_letter(
        self, message: Message, envelope: Envelope[Any] | None, reason: str, error: str, *, attempts: int
    ) -> None:
        log.error("consumer.dead_lettered", consumer=self.name, reason=reason, error=error[:500])
        async with self._sessionmaker() as session, session.begin():
            if envelope is not None and not await self._claim(session, envelope, outcome="dead-letter"):
                return
            inserted = await insert_ignore(
                session,
                DeadLetter,
                {
                    "consumer": self.name,
                    "topic": message.topic,
                    "partition": message.partition,
                    "offset": message.offset,
                    "event_id": message.header("ce_id"),
                    "event_type": message.header("ce_type"),
                    "tenant_id": message.header("ce_tenantid"),
                    "key": message.key.decode("utf-8", "replace") if message.key else None,
                    "headers": [[k, v.decode("utf-8", "replace")] for k, v in message.headers],
                    "payload": message.value,
                    "reason": reason,
                    "error": error[:10_000],
                    "attempts": attempts,
                },
                ("consumer", "topic", "partition", "offset") if message.offset >= 0 else ("id",),
                index_where=text('"offset" >= 0') if message.offset >= 0 else None,
            )
        if not inserted:
            return
        headers = [
            *message.headers,
            ("dlt_reason", reason.encode()),
            ("dlt_error", error[:1000].encode()),
            ("dlt_original_topic", message.topic.encode()),
            ("dlt_original_partition", str(message.partition).encode()),
            ("dlt_original_offset", str(message.offset).encode()),
        ]
        try:
            await self._transport.publish(
                [Message(topic=dead_letter_topic(self.name), key=message.key, value=message.value, headers=headers)]
            )
        except Exception:
            # The table row is the record of truth; the topic is a convenience for tooling.
            log.exception("consumer.dead_letter_topic_failed", consumer=self.name)
