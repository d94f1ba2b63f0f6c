"""Idempotent consumers: inbox rows and handler effects commit together, a fetched batch at a time."""

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, TypeVar
from uuid import UUID

import structlog
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_shared.db import SessionMaker, insert_for, insert_ignore, on_postgres
from bluemap_shared.events.catalog import CATALOG
from bluemap_shared.events.envelope import (
    Envelope,
    IntegrationEvent,
    Message,
    PoisonMessage,
    decode,
    new_traceparent,
)
from bluemap_shared.failpoints import failpoint
from bluemap_shared.messaging.claimcheck import KEY_HEADER, ClaimCheckBroken, ClaimChecks
from bluemap_shared.messaging.models import DeadLetter, InboxMessage
from bluemap_shared.messaging.transport import Transport, dead_letter_topic
from bluemap_shared.metrics import ServiceMetrics
from bluemap_shared.tracing import continued, is_recording, traced

log = structlog.get_logger()

E = TypeVar("E", bound=IntegrationEvent)
Handler = Callable[[AsyncSession, Envelope[Any]], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, list[Envelope[Any]]], Awaitable[None]]
Delivery = tuple[Message, Envelope[Any]]

# Claims a batch's events in one statement on PostgreSQL; the ids it returns are the ones not seen before.
_CLAIM_MANY = text(
    "INSERT INTO inbox_messages (consumer, event_id, event_type, tenant_id, outcome, handled_at) "
    "SELECT :consumer, event_id, event_type, tenant_id, 'handled', now() "
    "FROM unnest(CAST(:event_ids AS uuid[]), CAST(:event_types AS text[]), CAST(:tenant_ids AS text[])) "
    "AS claimed(event_id, event_type, tenant_id) "
    "ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id"
)


class EventConsumer:
    """Dispatches a consumer group's messages to handlers, exactly once in effect.

    A fetched batch is handled in one transaction: its inbox rows are inserted in one statement
    (redelivered events drop out there), then each run of consecutive events of one type goes to
    that type's batch handler, or one by one to its single-event handler, in the order fetched.
    When the batch fails it is split in halves until the failing event stands alone; that one is
    retried with backoff, then dead-lettered, while the rest commits. Deterministic failures
    (malformed JSON, unknown type, missing fields) go straight to the dead letters.
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
        metrics: ServiceMetrics | None = None,
        claim_checks: ClaimChecks | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.name = name
        # Spans only when they go somewhere: a span per event costs CPU a bulk import would notice.
        self._tracer_provider = tracer_provider if tracer_provider and is_recording(tracer_provider) else None
        self._claim_checks = claim_checks
        self.metrics = metrics or ServiceMetrics(name)
        self._sessionmaker = sessionmaker
        self._transport = transport
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._catalog = catalog
        self._handlers: dict[type[IntegrationEvent], Handler] = {}
        self._batch_handlers: dict[type[IntegrationEvent], BatchHandler] = {}
        self._stopping = asyncio.Event()

    def on(self, event: type[E]) -> Callable[[Callable[[AsyncSession, Envelope[E]], Awaitable[None]]], Handler]:
        """Register the handler of one event type (decorator)."""

        def register(handler: Callable[[AsyncSession, Envelope[E]], Awaitable[None]]) -> Handler:
            self._refuse_second_handler(event)
            self._handlers[event] = handler
            return handler

        return register

    def on_batch(
        self, event: type[E]
    ) -> Callable[[Callable[[AsyncSession, list[Envelope[E]]], Awaitable[None]]], BatchHandler]:
        """Register the set-based handler of one event type (decorator).

        It gets consecutive events of its type in order, never two of one subject (aggregate) in
        one call, so a single upsert statement may write them all.
        """

        def register(handler: Callable[[AsyncSession, list[Envelope[E]]], Awaitable[None]]) -> BatchHandler:
            self._refuse_second_handler(event)
            self._batch_handlers[event] = handler  # type: ignore[assignment]
            return handler  # type: ignore[return-value]

        return register

    def _refuse_second_handler(self, event: type[IntegrationEvent]) -> None:
        if event in self._handlers or event in self._batch_handlers:
            raise ValueError(f"{self.name} already handles {event.event_type}")

    @property
    def topics(self) -> set[str]:
        return {event.topic for event in (*self._handlers, *self._batch_handlers)}

    async def run(self) -> None:
        """Consume until cancelled, or until stop_fetching() once the batch in hand is committed."""
        if self._handlers or self._batch_handlers:
            await self._transport.consume(self.name, sorted(self.topics), self, stopping=self._stopping)

    def stop_fetching(self) -> None:
        """Fetch no more: run() returns after the batch in hand, leaving the consumer group."""
        self._stopping.set()

    async def process(self, message: Message) -> None:
        """Handle one message; never raises, so the partition keeps flowing."""
        await self.process_batch([message])

    async def process_batch(self, messages: Sequence[Message]) -> None:
        """Handle fetched messages, one transaction for all that go well; never raises but on cancellation."""
        deliveries: list[Delivery] = []
        for message in messages:
            if message.header(KEY_HEADER) is not None:
                try:
                    message = await self._redeem(message)
                except ClaimCheckBroken as exc:
                    await self._dead_letter(message, None, "claim-check-broken", str(exc), attempts=0)
                    continue
            try:
                envelope = decode(message, self._catalog)
            except PoisonMessage as exc:
                await self._dead_letter(message, None, exc.reason, exc.detail, attempts=0)
                continue
            if self._handles(type(envelope.data)):
                deliveries.append((message, envelope))
            # else: another consumer's event on a shared topic
        await self._handle_isolating_failures(deliveries)

    async def _redeem(self, message: Message) -> Message:
        # A storage outage raises: the batch is not handled, so it comes again, as after any crash.
        if self._claim_checks is None:
            raise ClaimCheckBroken("a claim check arrived, but this service has no claim-check storage configured")
        return await self._claim_checks.redeem(message)

    def _handles(self, event: type[IntegrationEvent]) -> bool:
        return event in self._handlers or event in self._batch_handlers

    async def _handle_isolating_failures(self, deliveries: list[Delivery]) -> None:
        if not deliveries:
            return
        if len(deliveries) == 1:
            await self._handle_alone(*deliveries[0])
            return
        started = time.perf_counter()
        try:
            handled = await self._handle_together(deliveries)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Halves keep each key's order: the first half commits before the second starts.
            log.warning("consumer.batch_split", consumer=self.name, size=len(deliveries), error=repr(exc))
            middle = len(deliveries) // 2
            await self._handle_isolating_failures(deliveries[:middle])
            await self._handle_isolating_failures(deliveries[middle:])
            return
        self.metrics.batch_duration.labels(self.name).observe(time.perf_counter() - started)
        self._count(handled, len(deliveries))
        skipped = len(deliveries) - len(handled)
        log.info("consumer.batch_handled", consumer=self.name, handled=len(handled), skipped=skipped)
        if skipped:
            log.info("consumer.duplicate_skipped", consumer=self.name, count=skipped)
        if handled:
            # Effects committed, offsets not yet: where a crash forces a redelivery.
            await failpoint("consumer.after_handle_commit")

    def _count(self, handled: list[Envelope[Any]], delivered: int) -> None:
        # One increment per event type, not per event: a batch holds a thousand of one type.
        for event_type, count in Counter(envelope.type for envelope in handled).items():
            self.metrics.events_handled.labels(self.name, event_type).inc(count)
        if delivered > len(handled):
            self.metrics.events_skipped.labels(self.name).inc(delivered - len(handled))

    def observe_lag(self, topic: str, partition: int, lag: int) -> None:
        """The transport's word on how far behind this consumer is on one partition."""
        self.metrics.consumer_lag.labels(self.name, topic, str(partition)).set(lag)

    async def _handle_together(self, deliveries: list[Delivery]) -> list[Envelope[Any]]:
        """Claim and handle deliveries in one transaction; the envelopes that were new."""
        async with self._sessionmaker() as session, session.begin():
            fresh_ids = await self._claim_many(session, [envelope for _, envelope in deliveries])
            fresh: list[Envelope[Any]] = []
            for _, envelope in deliveries:
                if envelope.id in fresh_ids:
                    fresh_ids.discard(envelope.id)  # a duplicate inside the batch is handled once
                    fresh.append(envelope)
            for run in runs_of_one_type(fresh, batched=self._batch_handlers.keys()):
                await self._dispatch(session, run)
            return fresh

    async def _dispatch(self, session: AsyncSession, run: list[Envelope[Any]]) -> None:
        event_type = type(run[0].data)
        batch_handler = self._batch_handlers.get(event_type)
        if batch_handler is not None:
            with _bound(self.name, run[0], size=len(run)), self._span(run):
                await batch_handler(session, run)
            return
        handler = self._handlers[event_type]
        for envelope in run:
            with _bound(self.name, envelope), self._span([envelope]):
                await handler(session, envelope)

    @contextlib.contextmanager
    def _span(self, run: list[Envelope[Any]]) -> Iterator[None]:
        """The handling of run as a child of its first event's trace (the others linked), or just a traceparent."""
        if self._tracer_provider is None:
            with traced(new_traceparent(run[0].traceparent)):
                yield
            return
        attributes = {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.consumer.group.name": self.name,
            "messaging.batch.message_count": len(run),
            "cloudevents.event_type": run[0].type,
        }
        with continued(
            self._tracer_provider,
            f"process {run[0].type}",
            run[0].traceparent,
            kind=SpanKind.CONSUMER,
            links=[envelope.traceparent for envelope in run[1:]],
            attributes=attributes,
        ):
            yield

    async def _handle_alone(self, message: Message, envelope: Envelope[Any]) -> None:
        with _bound(self.name, envelope):
            for attempt in range(1, self._max_attempts + 1):
                try:
                    handled = await self._handle_together([(message, envelope)])
                    self._count(handled, 1)
                    log.info("consumer.handled" if handled else "consumer.duplicate_skipped", attempt=attempt)
                    if handled:
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

    async def _claim_many(self, session: AsyncSession, envelopes: list[Envelope[Any]]) -> set[UUID]:
        """Insert the inbox rows of envelopes in one statement; the ids not handled before."""
        # A concurrent duplicate blocks on the unique key until this transaction ends, then
        # inserts nothing: no check-then-act race.
        if on_postgres(session):
            # Sorted, so two transactions claiming overlapping batches lock the keys in one order.
            envelopes = sorted(envelopes, key=lambda e: e.id)
            result = await (await session.connection()).execute(
                _CLAIM_MANY,
                {
                    "consumer": self.name,
                    "event_ids": [str(e.id) for e in envelopes],
                    "event_types": [e.type for e in envelopes],
                    "tenant_ids": [e.tenant_id for e in envelopes],
                },
            )
            return {UUID(str(event_id)) for (event_id,) in result.all()}
        table = InboxMessage.__table__  # type: ignore[attr-defined]
        # Compiled once and cached, the rows as parameters (SQLAlchemy batches them into multi-row VALUES).
        statement = (
            insert_for(session)(table)
            .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
            .returning(table.c.event_id)
        )
        rows = [
            {"consumer": self.name, "event_id": e.id, "event_type": e.type, "tenant_id": e.tenant_id} for e in envelopes
        ]
        return set((await (await session.connection()).execute(statement, rows)).scalars().all())

    async def _claim(self, session: AsyncSession, envelope: Envelope[Any], *, outcome: str) -> bool:
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
        self.metrics.events_dead_lettered.labels(self.name, message.header("ce_type") or "unknown", reason).inc()
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


def runs_of_one_type(
    envelopes: Sequence[Envelope[Any]], *, batched: Any = frozenset()
) -> Iterator[list[Envelope[Any]]]:
    """Split envelopes, in order, into runs of consecutive events of one type.

    A run of a type in batched never holds two events of one subject: the second starts a new run,
    so a set-based handler's upsert never touches a row twice in one statement.
    """
    run: list[Envelope[Any]] = []
    subjects: set[str] = set()
    for envelope in envelopes:
        event_type = type(envelope.data)
        same_type = bool(run) and type(run[0].data) is event_type
        if run and (not same_type or (event_type in batched and envelope.subject in subjects)):
            yield run
            run, subjects = [], set()
        run.append(envelope)
        subjects.add(envelope.subject)
    if run:
        yield run


def _bound(consumer: str, envelope: Envelope[Any], **more: Any) -> Any:
    return structlog.contextvars.bound_contextvars(
        consumer=consumer, event_id=str(envelope.id), event_type=envelope.type, tenant_id=envelope.tenant_id, **more
    )
