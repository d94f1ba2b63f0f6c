"""The Kafka consumer: fetched batches handed over whole, each key in order, offsets after the batch."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import pytest

from bluemap_shared.events.envelope import Message
from bluemap_shared.messaging.transport import KafkaTransport
from bluemap_shared.testing import eventually

pytestmark = pytest.mark.integration

TOPIC = "bluemap.batches-test"
GROUP = "batches-test"

Script = Callable[[Sequence[Message]], Awaitable[None]]


class Recorder:
    """A MessageProcessor that runs a script per batch and records what it was given."""

    def __init__(self, script: Script | None = None) -> None:
        self._script = script
        self.batches: list[list[bytes]] = []
        self.finished: list[bytes] = []

    async def process_batch(self, messages: Sequence[Message]) -> None:
        self.batches.append([m.value for m in messages])
        if self._script is not None:
            await self._script(messages)
        self.finished.extend(m.value for m in messages)

    async def wait_until_finished(self, count: int) -> None:
        """Until count messages were handled to the end (fails after 30 s)."""

        async def enough() -> bool:
            return len(self.finished) >= count

        await eventually(enough, timeout=30)


def transport_of(kafka_bootstrap: str, namespace: str, **options: int) -> KafkaTransport:
    """Three partitions, so a batch spans several, as a busy topic's would."""
    return KafkaTransport(kafka_bootstrap, client_id="test", namespace=namespace, partitions=3, **options)


@pytest.fixture
async def transport(kafka_bootstrap: str, namespace: str) -> AsyncIterator[KafkaTransport]:
    transport = transport_of(kafka_bootstrap, namespace)
    await transport.ensure_topics([TOPIC])
    await transport.start()
    yield transport
    await transport.stop()


@contextlib.asynccontextmanager
async def consuming(transport: KafkaTransport, processor: Recorder) -> AsyncIterator[asyncio.Task[None]]:
    """Run a consumer of the test group until the block ends; then stop it as a shutdown would."""
    task = asyncio.create_task(transport.consume(GROUP, [TOPIC], processor))
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def messages(*pairs: tuple[bytes | None, bytes]) -> list[Message]:
    return [Message(TOPIC, key, value) for key, value in pairs]


async def test_a_fetch_is_handed_over_as_one_batch_with_each_key_in_order(transport: KafkaTransport) -> None:
    keys = [f"key-{k}".encode() for k in range(6)]
    sent = [(key, f"{key.decode()}-{n}".encode()) for n in range(50) for key in keys]
    await transport.publish(messages(*sent))
    recorder = Recorder()
    async with consuming(transport, recorder):
        await recorder.wait_until_finished(len(sent))

    assert len(recorder.batches) < len(sent) / 10, "messages were handed over one at a time"
    for key in keys:
        in_order = [value for k, value in sent if k == key]
        assert [value for value in recorder.finished if value in in_order] == in_order, key


async def test_the_fetch_batch_size_bounds_a_batch(kafka_bootstrap: str, namespace: str) -> None:
    transport = transport_of(kafka_bootstrap, namespace, fetch_batch_size=7)
    await transport.ensure_topics([TOPIC])
    await transport.start()
    try:
        await transport.publish(messages(*((b"k", f"v{n}".encode()) for n in range(40))))
        recorder = Recorder()
        async with consuming(transport, recorder):
            await recorder.wait_until_finished(40)
    finally:
        await transport.stop()
    assert max(len(batch) for batch in recorder.batches) <= 7


@pytest.mark.parametrize("interruption", ["stop", "processor-error"])
async def test_offsets_are_committed_only_after_the_batch_was_handled(
    transport: KafkaTransport, interruption: str
) -> None:
    release = asyncio.Event()

    async def never_completes(batch: Sequence[Message]) -> None:
        await release.wait()
        raise RuntimeError("the consumer's process lost its database")

    await transport.publish(messages((b"a", b"a-0"), (b"b", b"b-0")))
    first = Recorder(never_completes)
    async with consuming(transport, first) as task:

        async def both_fetched() -> bool:
            return sum(len(batch) for batch in first.batches) == 2

        await eventually(both_fetched, timeout=30)
        if interruption == "processor-error":
            release.set()
            with pytest.raises(RuntimeError):
                await asyncio.wait_for(task, timeout=10)

    second = Recorder()
    async with consuming(transport, second):
        await second.wait_until_finished(2)
    assert sorted(second.finished) == [b"a-0", b"b-0"]


def test_a_consumer_without_a_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="fetch_batch_size"):
        KafkaTransport("127.0.0.1:1", client_id="test", fetch_batch_size=0)
