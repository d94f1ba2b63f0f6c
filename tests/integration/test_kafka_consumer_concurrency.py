"""The Kafka consumer: keys of a batch side by side, each key in order, offsets after the whole batch."""

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bluemap_shared.events.envelope import Message
from bluemap_shared.messaging.transport import KafkaTransport
from bluemap_shared.testing import eventually

pytestmark = pytest.mark.integration

TOPIC = "bluemap.concurrency-test"
GROUP = "concurrency-test"

Script = Callable[[Message], Awaitable[None]]


class Recorder:
    """A MessageProcessor that runs a script per message and records what ran when."""

    def __init__(self, script: Script | None = None) -> None:
        self._script = script
        self.started: list[bytes] = []
        self.finished: list[bytes] = []
        self._in_flight: dict[bytes | None, int] = defaultdict(int)
        self.most_in_flight = 0
        self.most_in_flight_of_one_key = 0

    async def process(self, message: Message) -> None:
        self.started.append(message.value)
        self._in_flight[message.key] += 1
        self.most_in_flight = max(self.most_in_flight, sum(self._in_flight.values()))
        self.most_in_flight_of_one_key = max(self.most_in_flight_of_one_key, self._in_flight[message.key])
        try:
            if self._script is not None:
                await self._script(message)
        finally:
            self._in_flight[message.key] -= 1
        self.finished.append(message.value)

    async def wait_until_finished(self, count: int) -> None:
        """Until count messages were handled to the end (fails after 30 s)."""

        async def enough() -> bool:
            return len(self.finished) >= count

        await eventually(enough, timeout=30)


@pytest.fixture
async def transport(kafka_bootstrap: str, namespace: str) -> AsyncIterator[KafkaTransport]:
    """One partition, so every key of a test shares it, as many aggregates share a partition."""
    transport = KafkaTransport(kafka_bootstrap, client_id="test", namespace=namespace, partitions=1)
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


async def test_messages_of_one_key_are_handled_in_order_even_when_an_earlier_one_is_slower(
    transport: KafkaTransport,
) -> None:
    keys: list[bytes | None] = [b"a", b"b", None]
    sent = [(key, f"{key!r}-{n}".encode()) for n in range(5) for key in keys]

    async def first_of_each_key_is_slow(message: Message) -> None:
        if message.value.endswith(b"-0"):
            await asyncio.sleep(0.3)

    await transport.publish(messages(*sent))
    recorder = Recorder(first_of_each_key_is_slow)
    async with consuming(transport, recorder):
        await recorder.wait_until_finished(len(sent))

    for key in keys:
        in_order = [value for k, value in sent if k == key]
        assert [value for value in recorder.finished if value in in_order] == in_order, key
    assert recorder.most_in_flight_of_one_key == 1, "two messages of one key ran side by side"


async def test_different_keys_in_one_partition_are_handled_side_by_side(transport: KafkaTransport) -> None:
    other_key_started = asyncio.Event()
    outcome: list[str] = []

    async def first_waits_for_the_second(message: Message) -> None:
        if message.key == b"second":
            other_key_started.set()
            return
        try:
            # Handled one after another, the second key's message would start only after this one ends.
            await asyncio.wait_for(other_key_started.wait(), timeout=5)
            outcome.append("ran side by side")
        except TimeoutError:
            outcome.append("the second key waited behind the first")

    await transport.publish(messages((b"first", b"first"), (b"second", b"second")))
    recorder = Recorder(first_waits_for_the_second)
    async with consuming(transport, recorder):

        async def both_handled() -> bool:
            return len(recorder.finished) == 2

        await eventually(both_handled, timeout=30)

    assert outcome == ["ran side by side"]


@pytest.mark.parametrize("interruption", ["stop", "handler-error"])
async def test_offsets_are_committed_only_after_every_handler_of_the_batch_finished(
    transport: KafkaTransport, interruption: str
) -> None:
    release_slow = asyncio.Event()

    async def slow_one_never_completes(message: Message) -> None:
        if message.key == b"slow":
            await release_slow.wait()
            raise RuntimeError("the handler's process lost its database")

    # The slow key comes first: committing what finished (the fast key, offset 1) would skip it.
    await transport.publish(messages((b"slow", b"slow-0"), (b"fast", b"fast-0")))
    first = Recorder(slow_one_never_completes)
    async with consuming(transport, first) as task:

        async def fast_done_while_slow_runs() -> bool:
            return first.finished == [b"fast-0"] and first.started[0] == b"slow-0"

        await eventually(fast_done_while_slow_runs, timeout=30)
        if interruption == "handler-error":
            release_slow.set()
            with pytest.raises(ExceptionGroup) as raised:
                await asyncio.wait_for(task, timeout=10)
            assert raised.group_contains(RuntimeError)

    second = Recorder()
    async with consuming(transport, second):

        async def whole_batch_redelivered() -> bool:
            assert len(second.finished) >= 2, f"redelivered so far: {second.finished}"
            return True

        await eventually(whole_batch_redelivered, timeout=60)
    assert sorted(second.finished) == [b"fast-0", b"slow-0"]


async def test_handler_concurrency_bounds_the_messages_in_flight(kafka_bootstrap: str, namespace: str) -> None:
    transport = KafkaTransport(
        kafka_bootstrap, client_id="test", namespace=namespace, partitions=1, handler_concurrency=2
    )
    await transport.ensure_topics([TOPIC])
    await transport.start()
    sent = [(f"key-{n}".encode(), f"value-{n}".encode()) for n in range(8)]

    async def takes_a_moment(message: Message) -> None:
        await asyncio.sleep(0.1)

    try:
        await transport.publish(messages(*sent))
        recorder = Recorder(takes_a_moment)
        async with consuming(transport, recorder):
            await recorder.wait_until_finished(len(sent))
    finally:
        await transport.stop()

    assert recorder.most_in_flight == 2


def test_a_consumer_without_workers_is_refused() -> None:
    with pytest.raises(ValueError, match="handler_concurrency"):
        KafkaTransport("127.0.0.1:1", client_id="test", handler_concurrency=0)
