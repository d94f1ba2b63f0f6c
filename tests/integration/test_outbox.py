"""The outbox relay against real PostgreSQL and Kafka."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import text
from sqlmodel import col, select

from bluemap_shared.messaging.models import OutboxMessage
from bluemap_shared.messaging.outbox import OutboxRelay, emit, emit_many
from bluemap_shared.messaging.transport import KafkaTransport
from bluemap_shared.testing import eventually
from tests.integration.events import record_published

pytestmark = pytest.mark.integration


async def read_topic(bootstrap: str, topic: str, count: int, timeout: float = 20.0) -> list:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    records = []
    try:
        deadline = time.monotonic() + timeout
        while len(records) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
        # Anything beyond count would be a duplicate: give it a moment to show up.
        batch = await consumer.getmany(timeout_ms=1000)
        for part in batch.values():
            records.extend(part)
    finally:
        await consumer.stop()
    return records


async def stage(kernel_db, events) -> None:  # type: ignore[no-untyped-def]
    async with kernel_db.sessionmaker() as session, session.begin():
        for event in events:
            emit(session, event, tenant_id="ipe")


async def test_relay_publishes_binary_mode_cloudevents_keyed_by_aggregate(kernel_db, kafka_bootstrap, namespace):
    event = record_published()
    await stage(kernel_db, [event])
    transport = KafkaTransport(kafka_bootstrap, client_id="test", namespace=namespace)
    await transport.start()
    try:
        await transport.ensure_topics([event.topic])
        relay = OutboxRelay("records", kernel_db.sessionmaker, transport)
        assert await relay.publish_pending() == 1
        assert await relay.publish_pending() == 0
    finally:
        await transport.stop()

    [record] = await read_topic(kafka_bootstrap, namespace + event.topic, 1)
    headers = {k: v.decode() for k, v in record.headers}
    assert record.key == str(event.record_id).encode()
    assert headers["ce_type"] == "org.bluemap.records.record-published.v1"
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_source"] == "/bluemap/records"
    assert headers["ce_subject"] == str(event.record_id)
    assert headers["ce_tenantid"] == "ipe"
    assert headers["content-type"] == "application/json"
    assert "陕西永安兴庆门业有限公司" in record.value.decode()


async def test_concurrent_relays_publish_each_row_once_in_order_per_key(kernel_db, kafka_bootstrap, namespace):
    aggregates = [record_published().record_id for _ in range(40)]
    events = [record_published(aggregates[i % 40], title=f"title {i}") for i in range(200)]
    for start in range(0, 200, 20):
        await stage(kernel_db, events[start : start + 20])
    transports = [KafkaTransport(kafka_bootstrap, client_id=f"test-{i}", namespace=namespace) for i in range(3)]
    for transport in transports:
        await transport.start()
    await transports[0].ensure_topics([events[0].topic])
    relays = [OutboxRelay("records", kernel_db.sessionmaker, t, batch_size=7) for t in transports]

    async def drain(relay: OutboxRelay) -> int:
        total = 0
        idle = 0
        while idle < 3:
            sent = await relay.publish_pending()
            total += sent
            idle = 0 if sent else idle + 1
            await asyncio.sleep(0)
        return total

    try:
        sent = await asyncio.gather(*(drain(r) for r in relays))
    finally:
        for transport in transports:
            await transport.stop()
    assert sum(sent) == 200
    assert sum(1 for s in sent if s) >= 2, f"relays should share the work: {sent}"

    records = await read_topic(kafka_bootstrap, namespace + events[0].topic, 200)
    assert len(records) == 200
    titles_by_key: dict[bytes, list[int]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        title = record.value.decode().split('"source_title":"title ')[1].split('"')[0]
        titles_by_key.setdefault(record.key, []).append(int(title))
    for key, numbers in titles_by_key.items():
        assert numbers == sorted(numbers), f"events of {key!r} out of order"


async def test_failed_publish_is_retried_with_backoff(kernel_db, kafka_bootstrap, namespace):
    await stage(kernel_db, [record_published()])
    dead = KafkaTransport("127.0.0.1:1", client_id="test", namespace=namespace)
    relay = OutboxRelay("records", kernel_db.sessionmaker, dead)
    with pytest.raises(Exception):  # noqa: B017 - any start-up failure: the broker is not there
        await asyncio.wait_for(dead.start(), timeout=5)

    class Unreachable:
        async def publish(self, messages):  # type: ignore[no-untyped-def]
            raise ConnectionError("broker unreachable")

    relay = OutboxRelay("records", kernel_db.sessionmaker, Unreachable())  # type: ignore[arg-type]
    assert await relay.publish_pending() == 0
    async with kernel_db.sessionmaker() as session:
        row = (await session.exec(select(OutboxMessage))).one()
    assert row.published_at is None
    assert row.attempts == 1
    assert "broker unreachable" in (row.last_error or "")
    assert row.next_attempt_at > row.created_at
    # Not due yet: the backoff holds it back even though the broker is fine now.
    transport = KafkaTransport(kafka_bootstrap, client_id="test", namespace=namespace)
    await transport.start()
    try:
        relay = OutboxRelay("records", kernel_db.sessionmaker, transport)
        assert await relay.publish_pending() == 0
        async with kernel_db.sessionmaker() as session, session.begin():
            row = (await session.exec(select(OutboxMessage))).one()
            row.next_attempt_at = row.created_at
        assert await relay.publish_pending() == 1
    finally:
        await transport.stop()


RELAY_SCRIPT = """
import asyncio, sys
from bluemap_shared.db import create_engine, create_sessionmaker
from bluemap_shared.messaging.outbox import OutboxRelay
from bluemap_shared.messaging.transport import KafkaTransport

async def main():
    engine = create_engine(sys.argv[1])
    transport = KafkaTransport(sys.argv[2], client_id="doomed", namespace=sys.argv[3])
    await transport.start()
    await OutboxRelay("records", create_sessionmaker(engine, service="records"), transport).publish_pending()

asyncio.run(main())
"""


async def test_rows_of_a_relay_killed_mid_batch_are_swept_by_the_next(kernel_db, kafka_bootstrap, namespace, tmp_path):
    events = [record_published() for _ in range(3)]
    await stage(kernel_db, events)
    env = {
        **os.environ,
        "BLUEMAP_FAILPOINTS": "outbox.before_mark_published=pause",
        "BLUEMAP_FAILPOINT_DIR": str(tmp_path),
    }
    doomed = subprocess.Popen(  # noqa: ASYNC220 - the test kills it, it never waits on it while running
        [sys.executable, "-c", RELAY_SCRIPT, kernel_db.url, kafka_bootstrap, namespace], env=env
    )
    marker = Path(tmp_path) / "outbox.before_mark_published.hit"
    try:
        await eventually(lambda: asyncio.sleep(0, marker.exists()), timeout=60)
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()

    async with kernel_db.sessionmaker() as session:
        pending = (await session.exec(select(OutboxMessage).where(col(OutboxMessage.published_at).is_(None)))).all()
    assert len(pending) == 3, "the killed relay's transaction must not have marked anything"

    transport = KafkaTransport(kafka_bootstrap, client_id="survivor", namespace=namespace)
    await transport.start()
    try:
        relay = OutboxRelay("records", kernel_db.sessionmaker, transport)
        # The dead session's row locks go when PostgreSQL notices the closed connection.
        await eventually(relay.publish_pending, timeout=30)
    finally:
        await transport.stop()
    # At least once: the killed relay had already sent them; consumers' inboxes absorb the copies.
    records = await read_topic(kafka_bootstrap, namespace + events[0].topic, 6)
    assert {r.key for r in records} == {str(e.record_id).encode() for e in events}
    assert len(records) == 6


async def test_emit_many_stages_a_batch_in_order_like_emit(kernel_db, kafka_bootstrap, namespace):
    aggregate = record_published().record_id
    events = [record_published(aggregate, title=f"title {i}") for i in range(50)]
    single = record_published(title="one by one")
    async with kernel_db.sessionmaker() as session, session.begin():
        event_ids = await emit_many(session, events, tenant_id="ipe")
        emit(session, single, tenant_id="ipe")
    async with kernel_db.sessionmaker() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    assert [r.event_id for r in rows[:50]] == event_ids
    assert [r.payload for r in rows[:50]] == [e.model_dump_json().encode() for e in events]
    bulk, alone = rows[0], rows[-1]
    assert [k for k, _ in bulk.headers] == [k for k, _ in alone.headers]
    assert dict(bulk.headers)["ce_id"] == str(bulk.event_id)
    assert (bulk.published_at, bulk.attempts, alone.published_at, alone.attempts) == (None, 0, None, 0)

    transport = KafkaTransport(kafka_bootstrap, client_id="test", namespace=namespace)
    await transport.start()
    try:
        await transport.ensure_topics([single.topic])
        relay = OutboxRelay("records", kernel_db.sessionmaker, transport, batch_size=100)
        assert await relay.publish_pending() == 51
    finally:
        await transport.stop()
    records = await read_topic(kafka_bootstrap, namespace + single.topic, 51)
    titles = [r.value.decode() for r in records if r.key == str(aggregate).encode()]
    assert [t for i in range(50) for t in titles if f'"title {i}"' in t] == titles
    assert len(records) == 51


class RecordingTransport:
    """Collects what a relay publishes (the relay's wake-ups are under test here, not Kafka)."""

    def __init__(self) -> None:
        self.published: list[bytes] = []
        self.arrived = asyncio.Event()

    async def publish(self, messages):  # type: ignore[no-untyped-def]
        self.published += [m.value for m in messages]
        self.arrived.set()


async def _count_relay_listeners(kernel_db, select_list: str) -> int:  # type: ignore[no-untyped-def]
    """Evaluate select_list over the connections of the records relay that LISTEN."""
    query = (
        f"SELECT {select_list} FROM pg_stat_activity "
        "WHERE application_name = 'bluemap-records-relay' AND query LIKE 'LISTEN%'"
    )
    async with kernel_db.engine.connect() as connection:
        return int((await connection.execute(text(query))).scalar_one())


@contextlib.asynccontextmanager
async def relay_process(kernel_db, transport: RecordingTransport) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """A relay running as a `relay` process does, listening; it polls only every 60 s."""
    url = kernel_db.url.replace("postgresql+asyncpg://", "postgresql://", 1)
    relay = OutboxRelay("records", kernel_db.sessionmaker, transport, poll_interval=60, listen_dsn=url)  # type: ignore[arg-type]
    running = asyncio.create_task(relay.run(in_process=False))
    try:
        await eventually(lambda: _count_relay_listeners(kernel_db, "count(*)"), timeout=10)
        yield
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def test_a_relay_process_hears_commits_of_other_processes_at_once(kernel_db):
    transport = RecordingTransport()
    async with relay_process(kernel_db, transport):
        # Only the commit's NOTIFY can bring the rows within seconds: the relay polls every 60 s.
        transport.arrived.clear()
        await stage(kernel_db, [record_published()])
        await asyncio.wait_for(transport.arrived.wait(), timeout=5)
        assert len(transport.published) == 1

        # The listening connection dies: the relay listens again and sends what was committed meanwhile.
        assert await _count_relay_listeners(kernel_db, "count(pg_terminate_backend(pid))") == 1
        transport.arrived.clear()
        await stage(kernel_db, [record_published()])
        await asyncio.wait_for(transport.arrived.wait(), timeout=10)
        assert len(transport.published) == 2


async def test_a_rolled_back_transaction_wakes_no_relay(kernel_db):
    transport = RecordingTransport()
    async with relay_process(kernel_db, transport):
        transport.arrived.clear()
        async with kernel_db.sessionmaker() as session:
            await session.begin()
            emit(session, record_published(), tenant_id="ipe")
            await session.flush()
            await session.rollback()
        async with kernel_db.sessionmaker() as session, session.begin():
            assert (await session.exec(select(OutboxMessage))).all() == []
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(transport.arrived.wait(), timeout=1.5)
