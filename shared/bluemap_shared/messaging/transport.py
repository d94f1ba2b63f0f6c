"""Two transports behind one interface: Kafka (aiokafka) and an in-process bus."""

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Protocol

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from bluemap_shared.events.envelope import Message

log = structlog.get_logger()


class MessageProcessor(Protocol):
    """What a consumer does with one message; must not raise."""

    async def process(self, message: Message) -> None: ...


class Transport(Protocol):
    """Publishes messages and feeds consumer groups."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, messages: Sequence[Message]) -> None:
        """Return only when every message is durably accepted, in order per key."""

    async def consume(self, group: str, topics: Iterable[str], processor: MessageProcessor) -> None:
        """Feed the group's share of the topics to processor until cancelled."""

    async def ensure_topics(self, topics: Iterable[str]) -> None: ...

    async def ping(self) -> None: ...


def dead_letter_topic(consumer: str) -> str:
    """One dead-letter topic per consumer group, since each group fails for its own reasons."""
    return f"bluemap.dlt.{consumer}"


class InProcessTransport:
    """The embedded default: delivers each message to every subscribed group before returning.

    Publishing waits for the consumers' transactions, so the outbox row is marked published only
    after every consumer committed it: a crash loses nothing, and the relay resends on restart.
    """

    def __init__(self) -> None:
        self._groups: dict[str, list[tuple[str, MessageProcessor]]] = defaultdict(list)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, messages: Sequence[Message]) -> None:
        for message in messages:
            for _group, processor in self._groups.get(message.topic, ()):
                await processor.process(message)

    async def consume(self, group: str, topics: Iterable[str], processor: MessageProcessor) -> None:
        subscriptions = [(topic, (group, processor)) for topic in topics]
        for topic, entry in subscriptions:
            self._groups[topic].append(entry)
        try:
            await asyncio.Event().wait()
        finally:
            for topic, entry in subscriptions:
                self._groups[topic].remove(entry)

    async def ensure_topics(self, topics: Iterable[str]) -> None:
        return None

    async def ping(self) -> None:
        return None


class KafkaTransport:
    """Kafka through aiokafka: idempotent producer with acks=all, manual offset commits."""

    def __init__(
        self,
        bootstrap: str,
        *,
        client_id: str,
        partitions: int = 3,
        namespace: str = "",
        handler_concurrency: int = 8,
    ) -> None:
        if handler_concurrency < 1:
            # No worker would handle a batch, yet its offsets would be committed: silent loss.
            raise ValueError(f"handler_concurrency must be at least 1, not {handler_concurrency}")
        self._bootstrap = bootstrap
        # Prefixes topics and group ids, so several deployments (or test runs) share one cluster.
        self._namespace = namespace
        self._client_id = client_id
        self._partitions = partitions
        # Messages of a batch handled at once; each holds a database connection while it runs.
        self._handler_concurrency = handler_concurrency
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, messages: Sequence[Message]) -> None:
        if self._producer is None:
            raise RuntimeError("Kafka transport not started")
        # Queue all, then wait: the idempotent producer keeps per-partition order without
        # paying one round trip per message.
        futures = [
            await self._producer.send(self._namespace + m.topic, value=m.value, key=m.key, headers=list(m.headers))
            for m in messages
        ]
        await asyncio.gather(*futures)

    async def consume(self, group: str, topics: Iterable[str], processor: MessageProcessor) -> None:
        consumer = AIOKafkaConsumer(
            *(self._namespace + t for t in topics),
            bootstrap_servers=self._bootstrap,
            client_id=f"{self._client_id}-consumer",
            group_id=self._namespace + group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=500,
        )
        await consumer.start()
        log.info("consumer.started", group=group, topics=sorted(consumer.subscription()))

        def message_of(record: ConsumerRecord[bytes, bytes]) -> Message:
            return Message(
                topic=record.topic.removeprefix(self._namespace),
                key=record.key,
                value=record.value or b"",
                headers=tuple(record.headers),
                partition=record.partition,
                offset=record.offset,
            )

        async def handle(batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]) -> None:
            """Handle a fetched batch: each key's records in offset order, different keys side by side."""
            # Order is promised per key (aggregate) only, and a partition holds many keys: handling
            # it in sequence made a burst wait behind one event at a time.
            groups: list[list[ConsumerRecord[bytes, bytes]]] = []
            for records in batch.values():
                by_key: dict[bytes | None, list[ConsumerRecord[bytes, bytes]]] = {}
                for record in records:
                    by_key.setdefault(record.key, []).append(record)
                groups.extend(by_key.values())
            # Longest first, so the batch (and its commit) does not end waiting on a long key started last.
            pending = iter(sorted(groups, key=len, reverse=True))

            async def worker() -> None:
                # One shared iterator hands each group to exactly one worker: a key never runs side by side.
                for group in pending:
                    for record in group:
                        await processor.process(message_of(record))

            # If one worker fails, the task group cancels the others and the error skips the commit.
            async with asyncio.TaskGroup() as workers:
                for _ in range(min(self._handler_concurrency, len(groups))):
                    workers.create_task(worker())

        try:
            while True:
                batch = await consumer.getmany(timeout_ms=1000)
                if batch:
                    await handle(batch)
                    # Committed only after every handler transaction of the batch committed: a key's
                    # later event may finish before another key's earlier one in the same partition.
                    await consumer.commit({partition: records[-1].offset + 1 for partition, records in batch.items()})
        finally:
            await consumer.stop()

    async def ensure_topics(self, topics: Iterable[str]) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-admin")
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            wanted = [
                NewTopic(name=t, num_partitions=self._partitions, replication_factor=1)
                for t in sorted({self._namespace + t for t in topics} - existing)
            ]
            if wanted:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(wanted)
                log.info("kafka.topics_created", topics=[t.name for t in wanted])
        finally:
            await admin.close()

    async def ping(self) -> None:
        if self._producer is None:
            raise RuntimeError("Kafka transport not started")
        await self._producer.client.fetch_all_metadata()
