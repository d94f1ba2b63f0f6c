"""Events the broker would never take: refused at emit, and set aside by the relay if one slips through."""

import pytest
from sqlmodel import select

from bluemap_shared.db import create_sessionmaker
from bluemap_shared.events.catalog import RecordPublished
from bluemap_shared.messaging.models import DeadLetter, OutboxMessage
from bluemap_shared.messaging.outbox import EventTooLarge, OutboxRelay, emit, emit_batch
from bluemap_shared.messaging.transport import KafkaTransport
from tests.integration.events import record_published
from tests.integration.test_outbox import read_topic

pytestmark = pytest.mark.integration


async def test_emit_refuses_an_event_over_the_limit_with_a_413_problem(kernel_db):
    small = create_sessionmaker(kernel_db.engine, service="records", max_event_bytes=2_000)
    event = record_published(title="长" * 1_000)
    with pytest.raises(EventTooLarge) as refused:
        async with small() as session, session.begin():
            emit(session, event, tenant_id="ipe")
    assert refused.value.status == 413
    assert refused.value.extensions["limit"] == 2_000
    assert "at most 2,000" in refused.value.detail
    payload = event.__pydantic_serializer__.to_json(event)
    async with small() as session, session.begin():
        with pytest.raises(EventTooLarge):
            await emit_batch(session, [(RecordPublished, event.subject(), payload)], tenant_id="ipe")
    async with kernel_db.sessionmaker() as session:
        assert (await session.exec(select(OutboxMessage))).all() == [], "a refused event left a row"


async def test_a_row_the_broker_refuses_is_dead_lettered_and_the_key_goes_on(kernel_db, kafka_bootstrap, namespace):
    record_id = record_published().record_id
    # Staged by a service whose limit is above the broker's (a misconfiguration): 2 MB of summary.
    generous = create_sessionmaker(kernel_db.engine, service="records", max_event_bytes=10_000_000)
    first, huge, last = (
        record_published(record_id, title="first"),
        record_published(record_id, title="huge").model_copy(update={"summary": "x" * 2_000_000}),
        record_published(record_id, title="last"),
    )
    async with generous() as session, session.begin():
        for event in (first, huge, last):
            emit(session, event, tenant_id="ipe")
    transport = KafkaTransport(kafka_bootstrap, client_id="test", namespace=namespace)
    await transport.start()
    try:
        await transport.ensure_topics([RecordPublished.topic])
        relay = OutboxRelay("records", kernel_db.sessionmaker, transport)
        assert await relay.publish_pending() == 2, "the refused row stopped the relay"
        assert await relay.publish_pending() == 1
        assert await relay.publish_pending() == 0
    finally:
        await transport.stop()
    on_topic = await read_topic(kafka_bootstrap, namespace + RecordPublished.topic, 2)
    assert [b'"first"' in r.value for r in on_topic] == [True, False]
    assert b'"last"' in on_topic[1].value
    async with kernel_db.sessionmaker() as session:
        [letter] = (await session.exec(select(DeadLetter))).all()
    assert (letter.consumer, letter.reason, letter.key) == ("outbox.records", "broker-refused", str(record_id))
    assert "MessageSizeTooLarge" in letter.error
    assert b"x" * 1000 in letter.payload, "the refused event is kept whole for a replay"
