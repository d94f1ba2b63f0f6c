"""Claim checks: an event larger than a broker message travels as a stored object plus its digest."""

import asyncio
import io
import uuid

import pytest
from minio import Minio
from sqlmodel import select

from bluemap_shared.db import create_sessionmaker
from bluemap_shared.events.catalog import RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging.claimcheck import DIGEST_HEADER, KEY_HEADER, ClaimChecks
from bluemap_shared.messaging.inbox import EventConsumer
from bluemap_shared.messaging.models import DeadLetter
from bluemap_shared.messaging.outbox import OutboxRelay, emit
from bluemap_shared.messaging.transport import KafkaTransport
from bluemap_shared.settings import ServiceSettings
from bluemap_shared.storage import S3Storage
from bluemap_shared.testing import eventually
from tests.integration.events import record_published
from tests.integration.test_outbox import read_topic

pytestmark = pytest.mark.integration


@pytest.fixture
async def storage(servers: dict[str, str]) -> S3Storage:
    """A bucket of this test's own on the local S3 server."""
    s3 = S3Storage(
        servers["BLUEMAP_S3_ENDPOINT"],
        servers["BLUEMAP_S3_ACCESS_KEY"],
        servers["BLUEMAP_S3_SECRET_KEY"],
        f"claims-{uuid.uuid4().hex[:10]}",
    )
    await s3.ensure_bucket()
    return s3


async def test_an_event_over_the_broker_limit_goes_by_claim_check_and_arrives_whole(
    kernel_db, kafka_bootstrap, namespace, storage
):
    claim_checks = ClaimChecks(storage, inline_bytes=64 * 1024)
    generous = create_sessionmaker(kernel_db.engine, service="records", max_event_bytes=8_000_000)
    small, large = record_published(title="small"), record_published(title="large")
    large = large.model_copy(update={"summary": "说明" * 1_000_000})  # ~6 MB, six times the broker's limit
    async with generous() as session, session.begin():
        emit(session, small, tenant_id="ipe")
        emit(session, large, tenant_id="ipe")
    transport = KafkaTransport(kafka_bootstrap, client_id="test", namespace=namespace)
    await transport.start()
    try:
        await transport.ensure_topics([RecordPublished.topic])
        relay = OutboxRelay("records", kernel_db.sessionmaker, transport, claim_checks=claim_checks)
        assert await relay.publish_pending() == 2
        on_topic = await read_topic(kafka_bootstrap, namespace + RecordPublished.topic, 2)
        by_size = sorted(on_topic, key=lambda r: len(r.value))
        assert len(by_size[0].value) == 0, "the large one travelled inline"
        assert {k for k, _ in by_size[0].headers} >= {KEY_HEADER, DIGEST_HEADER}
        assert {k for k, _ in by_size[1].headers}.isdisjoint({KEY_HEADER, DIGEST_HEADER})

        consumer = EventConsumer("notifications", kernel_db.sessionmaker, transport, claim_checks=claim_checks)
        summaries: list[str | None] = []

        @consumer.on(RecordPublished)
        async def handle(session, envelope: Envelope[RecordPublished]) -> None:  # type: ignore[no-untyped-def]
            summaries.append(envelope.data.summary)

        task = asyncio.create_task(consumer.run())
        try:
            await eventually(lambda: asyncio.sleep(0, len(summaries) == 2), timeout=60)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        await transport.stop()
    assert sorted(summaries, key=lambda s: len(s or "")) == [None, large.summary]


async def test_a_claim_check_whose_object_was_tampered_with_is_dead_lettered(kernel_db, servers, storage):
    claim_checks = ClaimChecks(storage, inline_bytes=1_000)
    event = record_published().model_copy(update={"summary": "x" * 5_000})
    message = Envelope(data=event, tenant_id="ipe", source="/bluemap/records", subject=event.subject()).to_message()
    checked = await claim_checks.check_in(message)
    key = checked.header(KEY_HEADER)
    assert key is not None
    Minio(
        servers["BLUEMAP_S3_ENDPOINT"],
        access_key=servers["BLUEMAP_S3_ACCESS_KEY"],
        secret_key=servers["BLUEMAP_S3_SECRET_KEY"],
        secure=False,
    ).put_object(storage.bucket, key, io.BytesIO(b"{}"), 2)

    class Sink:
        async def publish(self, messages):  # type: ignore[no-untyped-def]
            return None

    consumer = EventConsumer("notifications", kernel_db.sessionmaker, Sink(), claim_checks=claim_checks)  # type: ignore[arg-type]
    handled: list[object] = []

    @consumer.on(RecordPublished)
    async def handle(session, envelope) -> None:  # type: ignore[no-untyped-def]
        handled.append(envelope)

    await consumer.process_batch([checked])
    assert handled == []
    async with kernel_db.sessionmaker() as session:
        [letter] = (await session.exec(select(DeadLetter))).all()
    assert letter.reason == "claim-check-broken"
    assert "does not match its digest" in letter.error


def test_settings_build_the_claim_check_storage(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert ServiceSettings().claim_check_storage() is None
    filesystem = ServiceSettings(claim_check_backend="filesystem", data_dir=tmp_path).claim_check_storage()
    assert getattr(filesystem, "root", None) == tmp_path / "claim-checks"
