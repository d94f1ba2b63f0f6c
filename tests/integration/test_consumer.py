"""Idempotent consumers and dead letters against real PostgreSQL and Kafka."""

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from sqlmodel import func, select

from bluemap_shared.events.catalog import RECORDS_TOPIC, RecordPublished
from bluemap_shared.events.envelope import Envelope, Message
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging.inbox import EventConsumer
from bluemap_shared.messaging.models import DeadLetter, InboxMessage
from bluemap_shared.messaging.transport import KafkaTransport, dead_letter_topic
from bluemap_shared.testing import eventually
from tests.integration.conftest import HandledEffect
from tests.integration.events import record_published
from tests.integration.test_outbox import read_topic

pytestmark = pytest.mark.integration


def consumer_with_effects(kernel_db, transport, *, fail_titles=(), delay: float = 0.0):  # type: ignore[no-untyped-def]
    consumer = EventConsumer("notifications", kernel_db.sessionmaker, transport, max_attempts=3, backoff_seconds=0.01)
    calls: list[str] = []

    @consumer.on(RecordPublished)
    async def handle(session, envelope: Envelope[RecordPublished]) -> None:  # type: ignore[no-untyped-def]
        calls.append(envelope.data.source_title)
        session.add(HandledEffect(event_id=str(envelope.id), record_id=str(envelope.data.record_id)))
        await session.flush()
        if delay:
            await asyncio.sleep(delay)
        if envelope.data.source_title in fail_titles:
            raise RuntimeError("handler cannot cope")

    return consumer, calls


def envelope_of(event: RecordPublished) -> Envelope[RecordPublished]:
    return Envelope(data=event, tenant_id="ipe", source="/bluemap/records", subject=event.subject())


async def effects(kernel_db) -> int:  # type: ignore[no-untyped-def]
    async with kernel_db.sessionmaker() as session:
        return (await session.exec(select(func.count()).select_from(HandledEffect))).one()


async def test_redelivered_event_changes_nothing(kernel_db):
    consumer, calls = consumer_with_effects(kernel_db, transport=None)
    message = envelope_of(record_published()).to_message()
    await consumer.process(message)
    await consumer.process(message)
    assert await effects(kernel_db) == 1
    assert len(calls) == 1


async def test_concurrent_duplicates_are_handled_once(kernel_db):
    """Two consumers (two processes of a scaled service) get the same event at the same moment."""
    first, _ = consumer_with_effects(kernel_db, transport=None, delay=0.3)
    second, _ = consumer_with_effects(kernel_db, transport=None, delay=0.3)
    message = envelope_of(record_published()).to_message()
    await asyncio.gather(first.process(message), second.process(message))
    assert await effects(kernel_db) == 1


async def test_failing_handler_is_retried_then_dead_lettered_with_effects_rolled_back(kernel_db):
    consumer, calls = consumer_with_effects(kernel_db, transport=None, fail_titles={"boom"})

    class Sink:
        published: list[Message] = []

        async def publish(self, messages):  # type: ignore[no-untyped-def]
            self.published.extend(messages)

    consumer._transport = Sink()  # type: ignore[assignment]
    message = envelope_of(record_published(title="boom")).to_message()
    await consumer.process(message)
    assert calls == ["boom"] * 3
    assert await effects(kernel_db) == 0, "a failed attempt must not leave half its effects"
    async with kernel_db.sessionmaker() as session:
        [letter] = (await session.exec(select(DeadLetter))).all()
        [inbox] = (await session.exec(select(InboxMessage))).all()
    assert letter.reason == "handler-failed"
    assert letter.attempts == 3
    assert "handler cannot cope" in letter.error
    assert inbox.outcome == "dead-letter"
    # Redelivery of a dead-lettered event neither retries it nor letters it twice.
    await consumer.process(message)
    assert calls == ["boom"] * 3


async def test_poison_messages_go_to_dead_letters_and_the_partition_keeps_flowing(
    kernel_db, kafka_bootstrap, namespace
):
    transport = KafkaTransport(kafka_bootstrap, client_id="test", namespace=namespace, partitions=1)
    await transport.start()
    consumer, calls = consumer_with_effects(kernel_db, transport, fail_titles={"boom"})
    await transport.ensure_topics([RECORDS_TOPIC, dead_letter_topic("notifications")])

    good = envelope_of(record_published(title="good")).to_message()
    headers = dict(good.headers)
    malformed = Message(RECORDS_TOPIC, b"k1", b"{not json", good.headers)
    unknown = Message(
        RECORDS_TOPIC,
        b"k2",
        good.value,
        [*((k, v) for k, v in good.headers if k != "ce_type"), ("ce_type", b"org.bluemap.records.nope.v9")],
    )
    missing_fields = Message(RECORDS_TOPIC, b"k3", b'{"record_id": "not-even-a-uuid"}', good.headers)
    no_attributes = Message(RECORDS_TOPIC, b"k4", good.value, [("ce_type", headers["ce_type"])])
    failing = envelope_of(record_published(title="boom")).to_message()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for m in (malformed, unknown, missing_fields, no_attributes, failing, good):
            await producer.send_and_wait(namespace + m.topic, m.value, key=m.key, headers=list(m.headers))
    finally:
        await producer.stop()

    async def every_letter_written() -> bool:
        async with kernel_db.sessionmaker() as session:
            return (await session.exec(select(func.count()).select_from(DeadLetter))).one() == 5

    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: effects(kernel_db), timeout=60)
        # Keys run side by side: the good event may be handled while the failing one still retries.
        await eventually(every_letter_written, timeout=60)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert "good" in calls
    async with kernel_db.sessionmaker() as session:
        letters = (await session.exec(select(DeadLetter).order_by(DeadLetter.offset))).all()
    assert [letter.reason for letter in letters] == [
        "malformed-json",
        "unknown-type",
        "invalid-payload",
        "missing-attributes",
        "handler-failed",
    ]
    assert letters[0].payload == b"{not json"
    dlt = await read_topic(kafka_bootstrap, namespace + dead_letter_topic("notifications"), 5)
    reasons = sorted(dict(r.headers)["dlt_reason"].decode() for r in dlt)
    assert reasons == sorted(letter.reason for letter in letters)


async def test_batches_span_partitions_keep_each_key_in_order_and_never_repeat_a_subject_in_a_call(
    kernel_db, kafka_bootstrap, namespace
):
    transport = KafkaTransport(kafka_bootstrap, client_id="test", namespace=namespace, partitions=3)
    await transport.start()
    await transport.ensure_topics([RECORDS_TOPIC, dead_letter_topic("notifications")])
    consumer = EventConsumer("notifications", kernel_db.sessionmaker, transport, max_attempts=1)
    handled: list[str] = []
    calls: list[list[str]] = []

    @consumer.on_batch(RecordPublished)
    async def handle(session, envelopes: list[Envelope[RecordPublished]]) -> None:  # type: ignore[no-untyped-def]
        calls.append([envelope.subject for envelope in envelopes])
        handled.extend(envelope.data.source_title for envelope in envelopes)

    record_ids = [uuid7() for _ in range(3)]  # one aggregate (key) per partition
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for n in range(10):
            for partition in range(3):
                event = record_published(record_ids[partition], title=f"p{partition}-{n}")
                message = envelope_of(event).to_message()
                await producer.send(
                    namespace + message.topic,
                    message.value,
                    key=message.key,
                    partition=partition,
                    headers=list(message.headers),
                )
        await producer.flush()
    finally:
        await producer.stop()

    async def all_handled() -> bool:
        return len(handled) == 30

    task = asyncio.create_task(consumer.run())
    try:
        await eventually(all_handled, timeout=60)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await transport.stop()

    assert len(calls) < 30, "events were handled one by one"
    assert all(len(call) == len(set(call)) for call in calls), "a call held two events of one subject"
    for partition in range(3):
        titles = [title for title in handled if title.startswith(f"p{partition}-")]
        assert titles == [f"p{partition}-{n}" for n in range(10)]
