"""Dead letters replayed by an operator, into the handler or back onto Kafka, against real PostgreSQL and Kafka."""

import asyncio
import json
from pathlib import Path

import pytest
from sqlmodel import func, select

from bluemap_notifications.__main__ import main as notifications_main
from bluemap_shared.db import create_engine, create_sessionmaker
from bluemap_shared.events.catalog import RECORDS_TOPIC, RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging.dead_letters import DeadLetterFilter, ReplayMode, ReplayOutcome, list_dead_letters, replay
from bluemap_shared.messaging.inbox import EventConsumer
from bluemap_shared.messaging.models import DeadLetter, InboxMessage
from bluemap_shared.messaging.transport import InProcessTransport, KafkaTransport, dead_letter_topic
from bluemap_shared.problems import Conflict, InvalidInput
from bluemap_shared.testing import eventually
from tests.integration.conftest import HandledEffect
from tests.integration.events import record_published

pytestmark = pytest.mark.integration


class Outage:
    """A dependency of the handler that is down until the operator fixes it."""

    def __init__(self) -> None:
        self.down = True


def consumer_behind(kernel_db, transport, outage: Outage, name: str = "notifications") -> EventConsumer:  # type: ignore[no-untyped-def]
    consumer = EventConsumer(name, kernel_db.sessionmaker, transport, max_attempts=2, backoff_seconds=0.01)

    @consumer.on(RecordPublished)
    async def handle(session, envelope: Envelope[RecordPublished]) -> None:  # type: ignore[no-untyped-def]
        session.add(HandledEffect(event_id=f"{name}:{envelope.id}", record_id=str(envelope.data.record_id)))
        await session.flush()
        if outage.down:
            raise RuntimeError("mail relay unreachable")

    return consumer


def envelope_of(event: RecordPublished) -> Envelope[RecordPublished]:
    return Envelope(data=event, tenant_id="ipe", source="/bluemap/records", subject=event.subject())


async def effects(kernel_db, consumer: str = "notifications") -> int:  # type: ignore[no-untyped-def]
    async with kernel_db.sessionmaker() as session:
        query = select(func.count()).select_from(HandledEffect).where(HandledEffect.event_id.startswith(consumer))  # type: ignore[attr-defined]
        return (await session.exec(query)).one()


async def waiting_letters(kernel_db) -> list[DeadLetter]:  # type: ignore[no-untyped-def]
    return await list_dead_letters(kernel_db.sessionmaker, DeadLetterFilter(consumer="notifications"))


async def test_a_letter_replayed_into_the_handler_is_handled_once_and_records_who_and_why(kernel_db):
    outage = Outage()
    transport = InProcessTransport()
    consumer = consumer_behind(kernel_db, transport, outage)
    await consumer.process(envelope_of(record_published()).to_message())
    [letter] = await waiting_letters(kernel_db)
    assert letter.reason == "handler-failed"
    assert await effects(kernel_db) == 0

    # Still down: the replay fails again; the letter is closed and a new one holds the fresh failure.
    outcome = await replay(
        kernel_db.sessionmaker, consumer, transport, letter.id, mode=ReplayMode.HANDLER, reason="retry", by="ops"
    )
    assert outcome is ReplayOutcome.FAILED_AGAIN
    [again] = await waiting_letters(kernel_db)
    assert again.id != letter.id
    assert again.event_id == letter.event_id
    async with kernel_db.sessionmaker() as session:
        closed = await session.get(DeadLetter, letter.id)
    assert closed is not None
    assert "handler by ops: failed-again; retry" in (closed.last_replay or "")
    letter = again
    with pytest.raises(Conflict, match="in-process bus"):
        await replay(kernel_db.sessionmaker, consumer, transport, letter.id, mode=ReplayMode.TOPIC, reason="x", by="o")

    outage.down = False
    outcome = await replay(
        kernel_db.sessionmaker,
        consumer,
        transport,
        letter.id,
        mode=ReplayMode.HANDLER,
        reason="mail relay back after INC-42",
        by="ops",
    )
    assert outcome is ReplayOutcome.HANDLED
    assert await effects(kernel_db) == 1
    assert await waiting_letters(kernel_db) == []
    async with kernel_db.sessionmaker() as session:
        replayed = await session.get(DeadLetter, letter.id)
        [inbox] = (await session.exec(select(InboxMessage))).all()
    assert replayed is not None
    assert replayed.replayed_at is not None
    assert "handler by ops: handled; mail relay back after INC-42" in (replayed.last_replay or "")
    assert inbox.outcome == "handled"

    with pytest.raises(Conflict, match="was replayed"):
        await replay(
            kernel_db.sessionmaker, consumer, transport, letter.id, mode=ReplayMode.HANDLER, reason="x", by="o"
        )
    with pytest.raises(InvalidInput):
        await replay(
            kernel_db.sessionmaker, consumer, transport, letter.id, mode=ReplayMode.HANDLER, reason=" ", by="o"
        )
    assert await effects(kernel_db) == 1


async def test_a_letter_replayed_onto_its_topic_reaches_only_the_consumer_that_gave_up(
    kernel_db, kafka_bootstrap, namespace
):
    outage = Outage()
    transport = KafkaTransport(kafka_bootstrap, client_id="test", namespace=namespace, partitions=1)
    await transport.start()
    await transport.ensure_topics([RECORDS_TOPIC, dead_letter_topic("notifications")])
    failing = consumer_behind(kernel_db, transport, outage)
    # Another service's consumer of the same topic, healthy: it handled the event the first time.
    up = Outage()
    up.down = False
    healthy = consumer_behind(kernel_db, transport, up, name="portal")
    tasks = [asyncio.create_task(failing.run()), asyncio.create_task(healthy.run())]
    try:
        await transport.publish([envelope_of(record_published()).to_message()])

        async def lettered() -> bool:
            return len(await waiting_letters(kernel_db)) == 1 and await effects(kernel_db, "portal") == 1

        await eventually(lettered, timeout=60)
        [letter] = await waiting_letters(kernel_db)
        outage.down = False
        outcome = await replay(
            kernel_db.sessionmaker, failing, transport, letter.id, mode=ReplayMode.TOPIC, reason="fixed", by="ops"
        )
        assert outcome is ReplayOutcome.PUBLISHED

        async def handled() -> bool:
            return await effects(kernel_db) == 1

        await eventually(handled, timeout=60)
        await asyncio.sleep(1)  # let the healthy consumer see the replayed message too
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await transport.stop()
    assert await effects(kernel_db, "portal") == 1, "a consumer that had handled it must drop the replay"
    assert await waiting_letters(kernel_db) == []


async def test_the_command_lists_shows_and_replays_a_services_letters(
    create_database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    url = await create_database("letters")
    monkeypatch.setenv("BLUEMAP_NOTIFICATIONS_DATABASE_URL", url)
    await asyncio.to_thread(notifications_main, ["migrate"])
    capsys.readouterr()
    broken = envelope_of(record_published()).to_message()
    engine = create_engine(url)
    async with create_sessionmaker(engine, service="notifications")() as session, session.begin():
        session.add(
            DeadLetter(
                consumer="notifications",
                topic=broken.topic,
                partition=0,
                offset=7,
                event_id=broken.header("ce_id"),
                event_type=broken.header("ce_type"),
                tenant_id="ipe",
                key=broken.key.decode() if broken.key else None,
                headers=[[k, v.decode()] for k, v in broken.headers],
                payload=broken.value,
                reason="handler-failed",
                error="RuntimeError('smtp down')",
                attempts=5,
            )
        )
    await engine.dispose()

    def run(*argv: str) -> tuple[int, str]:
        with pytest.raises(SystemExit) as exit_:
            notifications_main(["dead-letters", *argv])
        return int(exit_.value.code or 0), capsys.readouterr().out

    status, out = await asyncio.to_thread(run, "list", "--json")
    [listed] = [json.loads(line) for line in out.splitlines()]
    assert status == 0
    assert listed["reason"] == "handler-failed"
    assert listed["error"] == "RuntimeError('smtp down')"
    status, out = await asyncio.to_thread(run, "show", str(listed["id"]))
    assert status == 0
    assert json.loads(out)["payload"]["record_id"]
    status, out = await asyncio.to_thread(run, "replay", str(listed["id"]), "--reason", "smtp back", "--by", "ops")
    # The real notifications handler now runs: the record becomes a pending digest entry.
    assert (status, out.strip()) == (0, f"dead letter {listed['id']}: handled")
    status, out = await asyncio.to_thread(run, "list")
    assert (status, out) == (0, "")
    status, out = await asyncio.to_thread(run, "replay", "999999", "--reason", "x")
    assert status == 2
    assert "No dead letter 999999" in out
