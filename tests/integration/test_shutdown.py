"""Stopping a consumer finishes the batch in hand and commits it; readiness while the broker is away."""

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from bluemap_documents.bootstrap import bootstrap
from bluemap_documents.settings import DocumentsSettings
from bluemap_shared.events.catalog import RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging.inbox import EventConsumer
from bluemap_shared.messaging.models import InboxMessage
from bluemap_shared.messaging.transport import InProcessTransport, KafkaTransport
from tests.integration.events import record_published

pytestmark = pytest.mark.integration


async def test_a_stopped_consumer_finishes_its_handler_commits_and_leaves(kernel_db, kafka_bootstrap, namespace):
    transport = KafkaTransport(kafka_bootstrap, client_id="test", namespace=namespace)
    await transport.start()
    await transport.ensure_topics([RecordPublished.topic])
    event = record_published()
    await transport.publish([Envelope(data=event, tenant_id="ipe", source="/t", subject=event.subject()).to_message()])
    started, finished = asyncio.Event(), asyncio.Event()
    consumer = EventConsumer("notifications", kernel_db.sessionmaker, transport)

    @consumer.on(RecordPublished)
    async def slow(session, envelope) -> None:  # type: ignore[no-untyped-def]
        started.set()
        await asyncio.sleep(1.5)  # a handler in the middle of its work when SIGTERM comes
        finished.set()

    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(started.wait(), timeout=60)
        consumer.stop_fetching()
        await asyncio.wait_for(task, timeout=10)  # returns, not cancelled
        assert finished.is_set()
        async with kernel_db.sessionmaker() as session:
            assert len((await session.exec(select(InboxMessage))).all()) == 1

        # Offsets were committed: the next member of the group gets nothing again.
        again = EventConsumer("notifications", kernel_db.sessionmaker, transport)
        seen: list[object] = []

        @again.on(RecordPublished)
        async def record(session, envelope) -> None:  # type: ignore[no-untyped-def]
            seen.append(envelope)

        second = asyncio.create_task(again.run())
        await asyncio.sleep(5)
        again.stop_fetching()
        await asyncio.wait_for(second, timeout=10)
        assert seen == []
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await transport.stop()


class BrokerAway(InProcessTransport):
    async def ping(self) -> None:
        raise ConnectionError("no broker reachable")


async def test_readiness_stays_up_without_the_broker_names_it_and_fails_while_draining(tmp_path: Path):
    service = bootstrap(DocumentsSettings(data_dir=tmp_path, environment="test"), BrokerAway())
    await service.runtime.migrate()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://d") as client:
        degraded = await client.get("/readyz")
        service.runtime.begin_draining()
        draining = await client.get("/readyz")
    assert degraded.status_code == 200
    assert degraded.json()["status"] == "degraded"
    assert degraded.json()["down"] == ["broker"]
    assert draining.status_code == 503
    assert draining.json()["status"] == "draining"
