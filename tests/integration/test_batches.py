"""Batches through the kernel: one transaction per fetched batch, failures isolated, batch outbox rows."""

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import SQLModel, func, select

from bluemap_shared.db import create_engine, create_sessionmaker, utcnow
from bluemap_shared.events.catalog import CATALOG, RecordPublished, RecordRetracted
from bluemap_shared.events.envelope import Envelope, Message, decode
from bluemap_shared.messaging.inbox import EventConsumer
from bluemap_shared.messaging.models import MESSAGING_TABLES, DeadLetter, InboxMessage, OutboxMessage
from bluemap_shared.messaging.outbox import BATCH_EVENT_TYPE, OutboxRelay, emit, emit_batch
from bluemap_shared.messaging.transport import InProcessTransport, KafkaTransport
from bluemap_shared.testing import eventually
from tests.integration.conftest import HandledEffect
from tests.integration.events import record_published
from tests.integration.test_outbox import read_topic

pytestmark = pytest.mark.integration


class Sink:
    """A transport that keeps what it was asked to publish."""

    def __init__(self) -> None:
        self.published: list[Message] = []

    async def publish(self, messages: Sequence[Message]) -> None:
        self.published.extend(messages)


def envelope_of(event: RecordPublished | RecordRetracted) -> Envelope[RecordPublished]:
    return Envelope(data=event, tenant_id="ipe", source="/bluemap/records", subject=event.subject())  # type: ignore[arg-type]


def batch_consumer(sessionmaker, *, fail_titles=()):  # type: ignore[no-untyped-def]
    """A consumer whose RecordPublished handler is set-based; it records each call's subjects."""
    consumer = EventConsumer("notifications", sessionmaker, Sink(), max_attempts=2, backoff_seconds=0.01)  # type: ignore[arg-type]
    calls: list[list[str]] = []

    @consumer.on_batch(RecordPublished)
    async def handle(session, envelopes: list[Envelope[RecordPublished]]) -> None:  # type: ignore[no-untyped-def]
        calls.append([envelope.data.source_title for envelope in envelopes])
        session.add_all(
            HandledEffect(event_id=str(envelope.id), record_id=str(envelope.data.record_id)) for envelope in envelopes
        )
        await session.flush()
        if any(envelope.data.source_title in fail_titles for envelope in envelopes):
            raise RuntimeError("handler cannot cope")

    return consumer, calls


async def effects(sessionmaker) -> list[str]:  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        return [row.record_id for row in (await session.exec(select(HandledEffect).order_by(HandledEffect.id))).all()]


async def test_a_batch_is_handled_in_one_call_and_a_redelivered_batch_changes_nothing(kernel_db):
    consumer, calls = batch_consumer(kernel_db.sessionmaker)
    events = [record_published(title=f"t{n}") for n in range(50)]
    batch = [envelope_of(event).to_message() for event in events]
    await consumer.process_batch(batch)
    assert calls == [[f"t{n}" for n in range(50)]]
    await consumer.process_batch(batch)
    await consumer.process_batch(batch[10:30])
    assert len(calls) == 1, "a redelivered batch reached the handler again"
    assert await effects(kernel_db.sessionmaker) == [str(event.record_id) for event in events]


async def test_a_failing_event_in_the_middle_is_dead_lettered_and_the_rest_commits(kernel_db):
    consumer, _calls = batch_consumer(kernel_db.sessionmaker, fail_titles={"boom"})
    events = [record_published(title="boom" if n == 17 else f"t{n}") for n in range(40)]
    poison = envelope_of(record_published(title="ok")).to_message()
    poison = Message(poison.topic, poison.key, b"{not json", poison.headers)
    batch = [envelope_of(event).to_message() for event in events]
    batch.insert(25, poison)
    await consumer.process_batch(batch)

    handled = await effects(kernel_db.sessionmaker)
    assert handled == [str(event.record_id) for n, event in enumerate(events) if n != 17], "order or loss"
    async with kernel_db.sessionmaker() as session:
        letters = (await session.exec(select(DeadLetter).order_by(DeadLetter.id))).all()
        outcomes = dict(
            (await session.exec(select(InboxMessage.outcome, func.count()).group_by(InboxMessage.outcome))).all()
        )
    assert sorted(letter.reason for letter in letters) == ["handler-failed", "malformed-json"]
    assert outcomes == {"handled": 39, "dead-letter": 1}


async def test_runs_keep_order_across_types_and_never_hold_one_subject_twice(kernel_db):
    consumer, calls = batch_consumer(kernel_db.sessionmaker)
    singles: list[str] = []

    @consumer.on(RecordRetracted)
    async def retracted(session, envelope: Envelope[RecordRetracted]) -> None:  # type: ignore[no-untyped-def]
        calls.append([f"retracted {envelope.data.record_id}"])
        singles.append(str(envelope.data.record_id))

    first, second = record_published(title="a"), record_published(title="b")
    again = record_published(first.record_id, title="a again")
    retraction = RecordRetracted(
        record_id=second.record_id,
        enterprise_id=second.enterprise.enterprise_id,
        reason="audit",
        retracted_at=utcnow(),
    )
    after = record_published(title="c")
    await consumer.process_batch([envelope_of(e).to_message() for e in (first, second, again, retraction, after)])
    assert calls == [["a", "b"], ["a again"], [f"retracted {second.record_id}"], ["c"]]


async def test_sqlite_claims_a_batch_in_one_statement(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'kernel.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(
            lambda sync: SQLModel.metadata.create_all(sync, tables=[*MESSAGING_TABLES, HandledEffect.__table__])  # type: ignore[attr-defined]
        )
    sessionmaker = create_sessionmaker(engine, service="notifications")
    consumer, _calls = batch_consumer(sessionmaker, fail_titles={"boom"})
    events = [record_published(title="boom" if n == 3 else f"t{n}") for n in range(8)]
    batch = [envelope_of(event).to_message() for event in events]
    await consumer.process_batch(batch)
    await consumer.process_batch(batch)
    assert await effects(sessionmaker) == [str(e.record_id) for n, e in enumerate(events) if n != 3]
    await engine.dispose()


async def stage_batch(sessionmaker, events: list[RecordPublished]) -> list:  # type: ignore[no-untyped-def]
    async with sessionmaker() as session, session.begin():
        payloads = [(RecordPublished, e.subject(), e.__pydantic_serializer__.to_json(e)) for e in events]
        return await emit_batch(session, payloads, tenant_id="ipe")


async def test_a_batch_row_goes_out_as_one_message_per_event_with_ids_kept_across_retries(kernel_db):
    events = [record_published(title=f"t{n}") for n in range(300)]
    ids = await stage_batch(kernel_db.sessionmaker, events)
    async with kernel_db.sessionmaker() as session:
        assert (await session.exec(select(func.count()).select_from(OutboxMessage))).one() == 1

    class Flaky(Sink):
        failures = 1

        async def publish(self, messages: Sequence[Message]) -> None:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("broker away")
            await super().publish(messages)

    sink = Flaky()
    relay = OutboxRelay("records", kernel_db.sessionmaker, sink)  # type: ignore[arg-type]
    assert await relay.publish_pending() == 0
    async with kernel_db.sessionmaker() as session, session.begin():
        await session.exec(update(OutboxMessage).values(next_attempt_at=utcnow()))  # type: ignore[call-overload]
    assert await relay.publish_pending() == 1
    assert len(sink.published) == 300
    decoded = [decode(message, CATALOG) for message in sink.published]
    assert [envelope.id for envelope in decoded] == ids
    assert [message.key for message in sink.published] == [str(e.record_id).encode() for e in events]
    assert [envelope.data for envelope in decoded] == events
    assert {envelope.tenant_id for envelope in decoded} == {"ipe"}


async def test_no_later_row_overtakes_a_batch_row_that_waits(kernel_db):
    ids = await stage_batch(kernel_db.sessionmaker, [record_published() for _ in range(3)])
    later = record_published()
    async with kernel_db.sessionmaker() as session, session.begin():
        emit(session, later, tenant_id="ipe")
        # The batch row is backing off after a failed attempt.
        await session.exec(
            update(OutboxMessage)  # type: ignore[call-overload]
            .where(OutboxMessage.event_type == BATCH_EVENT_TYPE)
            .values(next_attempt_at=utcnow() + timedelta(minutes=5))
        )
    sink = Sink()
    relay = OutboxRelay("records", kernel_db.sessionmaker, sink)  # type: ignore[arg-type]
    assert await relay.publish_pending() == 0, "a row went out past a batch row that holds many keys"
    async with kernel_db.sessionmaker() as session, session.begin():
        await session.exec(update(OutboxMessage).values(next_attempt_at=utcnow()))  # type: ignore[call-overload]
    assert await relay.publish_pending() == 2
    assert [decode(m, CATALOG).id for m in sink.published][:3] == ids
    assert sink.published[-1].key == str(later.record_id).encode()


async def test_a_batch_row_reaches_kafka_and_a_batch_consumer_in_order(kernel_db, kafka_bootstrap, namespace):
    transport = KafkaTransport(kafka_bootstrap, client_id="test", namespace=namespace)
    await transport.start()
    await transport.ensure_topics([RecordPublished.topic])
    records = [record_published().record_id for _ in range(20)]
    events = [record_published(records[n % 20], title=f"t{n}") for n in range(200)]
    for start in range(0, 200, 50):
        await stage_batch(kernel_db.sessionmaker, events[start : start + 50])
    relay = OutboxRelay("records", kernel_db.sessionmaker, transport)
    try:
        while await relay.publish_pending():
            pass
        consumer, calls = batch_consumer(kernel_db.sessionmaker)
        consumer._transport = transport
        task = asyncio.create_task(consumer.run())
        try:

            async def all_handled() -> bool:
                return sum(len(call) for call in calls) == 200

            await eventually(all_handled, timeout=60)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        await transport.stop()
    titles = [title for call in calls for title in call]
    for record in range(20):
        assert [t for t in titles if int(t[1:]) % 20 == record] == [f"t{n}" for n in range(record, 200, 20)]
    on_topic = await read_topic(kafka_bootstrap, namespace + RecordPublished.topic, 200)
    assert len(on_topic) == 200


async def test_the_in_process_bus_hands_each_group_the_relay_batch_at_once(kernel_db):
    transport = InProcessTransport()
    consumer, calls = batch_consumer(kernel_db.sessionmaker)
    task = asyncio.create_task(transport.consume("notifications", [RecordPublished.topic], consumer))
    await asyncio.sleep(0)  # subscribed
    try:
        await stage_batch(kernel_db.sessionmaker, [record_published(title=f"t{n}") for n in range(120)])
        relay = OutboxRelay("records", kernel_db.sessionmaker, transport)
        assert await relay.publish_pending() == 1
        assert calls == [[f"t{n}" for n in range(120)]]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
