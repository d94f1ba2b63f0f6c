"""Two transports behind one interface: Kafka (aiokafka) and an in-process bus."""

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    InvalidMessageError,
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAlreadyExistsError,
    for_code,
)

from bluemap_shared.events.envelope import Message

log = structlog.get_logger()


class MessageProcessor(Protocol):
    """What a consumer does with the messages a transport fetched; must not raise."""

    async def process_batch(self, messages: Sequence[Message]) -> None:
        """Handle messages, each key's in the order given; return once their effects are committed."""


class Transport(Protocol):
    """Publishes messages and feeds consumer groups."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, messages: Sequence[Message]) -> None:
        """Return only when every message is durably accepted, in order per key."""

    async def consume(
        self,
        group: str,
        topics: Iterable[str],
        processor: MessageProcessor,
        *,
        stopping: asyncio.Event | None = None,
    ) -> None:
        """Feed the group's share of the topics to processor until cancelled, or until stopping is set.

        Stopping ends it between batches: the batch in hand is handled and committed first.
        """

    async def ensure_topics(self, topics: Iterable[str]) -> None: ...

    async def ping(self) -> None: ...


class MessageRefused(Exception):
    """The broker, or the producer's own limits, will never take messages[index]: retrying cannot help.

    Every message before it was accepted; messages after it may or may not have been.
    """

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"message {index} refused: {reason}")
        self.index = index
        self.reason = reason


# Errors that say "never", as against a broker that is away or busy.
_REFUSALS = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    InvalidMessageError,
    InvalidTopicError,
)


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
        # Each group gets the whole batch at once, as Kafka's getmany would hand it over.
        batches: dict[tuple[str, MessageProcessor], list[Message]] = {}
        for message in messages:
            for entry in self._groups.get(message.topic, ()):
                batches.setdefault(entry, []).append(message)
        for (_group, processor), batch in batches.items():
            await processor.process_batch(batch)

    async def consume(
        self,
        group: str,
        topics: Iterable[str],
        processor: MessageProcessor,
        *,
        stopping: asyncio.Event | None = None,
    ) -> None:
        subscriptions = [(topic, (group, processor)) for topic in topics]
        for topic, entry in subscriptions:
            self._groups[topic].append(entry)
        try:
            await (stopping or asyncio.Event()).wait()
        finally:
            for topic, entry in subscriptions:
                self._groups[topic].remove(entry)

    async def ensure_topics(self, topics: Iterable[str]) -> None:
        return None

    async def ping(self) -> None:
        return None


class KafkaTransport:
    """Kafka through aiokafka: idempotent, compressed producer with acks=all; manual offset commits."""

    def __init__(
        self,
        bootstrap: str,
        *,
        client_id: str,
        partitions: int = 3,
        namespace: str = "",
        fetch_batch_size: int = 1000,
        compression: str | None = "lz4",
        replication_factor: int = 1,
        topic_config: Mapping[str, str] | None = None,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        if fetch_batch_size < 1:
            raise ValueError(f"fetch_batch_size must be at least 1, not {fetch_batch_size}")
        self._bootstrap = bootstrap
        # Prefixes topics and group ids, so several deployments (or test runs) share one cluster.
        self._namespace = namespace
        self._client_id = client_id
        self._partitions = partitions
        # Messages a consumer handles in one transaction at most.
        self._fetch_batch_size = fetch_batch_size
        self._compression = compression
        self._replication_factor = replication_factor
        # Topic-level configs of the topics ensure_topics creates (min.insync.replicas, retention.ms, ...).
        self._topic_config = dict(topic_config or {})
        # Security options every client gets alike (security_protocol, sasl_*, ssl_context).
        self._client_options = dict(client_options or {})
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            enable_idempotence=True,
            acks="all",
            # A relay hands over a thousand messages at once: let them travel as a few large,
            # compressed requests instead of one small request per partition and message.
            linger_ms=20,
            max_batch_size=512 * 1024,
            compression_type=self._compression,
            **self._client_options,
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
        futures: list[asyncio.Future[Any]] = []
        for index, m in enumerate(messages):
            try:
                futures.append(
                    await self._producer.send(
                        self._namespace + m.topic, value=m.value, key=m.key, headers=list(m.headers)
                    )
                )
            except _REFUSALS as exc:
                await asyncio.gather(*futures)  # those before it are taken, in order
                raise MessageRefused(index, f"{type(exc).__name__}: {exc}") from exc
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        for index, outcome in enumerate(outcomes):
            if isinstance(outcome, _REFUSALS):
                raise MessageRefused(index, f"{type(outcome).__name__}: {outcome}") from outcome
            if isinstance(outcome, BaseException):
                raise outcome

    async def consume(
        self,
        group: str,
        topics: Iterable[str],
        processor: MessageProcessor,
        *,
        stopping: asyncio.Event | None = None,
    ) -> None:
        consumer = AIOKafkaConsumer(
            *(self._namespace + t for t in topics),
            bootstrap_servers=self._bootstrap,
            client_id=f"{self._client_id}-consumer",
            group_id=self._namespace + group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._fetch_batch_size,
            **self._client_options,
        )
        await consumer.start()
        log.info("consumer.started", group=group, topics=sorted(consumer.subscription()))
        # Optional: a processor that keeps metrics hears how far behind it is after each fetch.
        observe_lag = getattr(processor, "observe_lag", None)

        def message_of(record: ConsumerRecord[bytes, bytes]) -> Message:
            return Message(
                topic=record.topic.removeprefix(self._namespace),
                key=record.key,
                value=record.value or b"",
                headers=tuple(record.headers),
                partition=record.partition,
                offset=record.offset,
            )

        async def report_lag(behind: dict[TopicPartition, int]) -> None:
            """Messages not yet handled per assigned partition; behind holds the first unhandled offsets known."""
            if observe_lag is None:
                return
            for partition in consumer.assignment():
                end = consumer.highwater(partition)
                if end is not None:
                    start = behind.get(partition)
                    lag = max(0, end - (start if start is not None else await consumer.position(partition)))
                    observe_lag(partition.topic.removeprefix(self._namespace), partition.partition, lag)

        try:
            while stopping is None or not stopping.is_set():
                batch = await consumer.getmany(timeout_ms=1000, max_records=self._fetch_batch_size)
                await report_lag({partition: records[0].offset for partition, records in batch.items()})
                if batch:
                    # Partitions one after another, each in offset order: every key stays in order.
                    await processor.process_batch([message_of(r) for records in batch.values() for r in records])
                    # Committed only once the batch's effects are: a crash before redelivers it all.
                    await consumer.commit({partition: records[-1].offset + 1 for partition, records in batch.items()})
                    await report_lag({})
        finally:
            # Leaves the group, so its partitions move to the other members at once.
            await consumer.stop()
            log.info("consumer.stopped", group=group)

    async def ensure_topics(self, topics: Iterable[str]) -> None:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-admin", **self._client_options
        )
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            wanted = [
                NewTopic(
                    name=t,
                    num_partitions=self._partitions,
                    replication_factor=self._replication_factor,
                    topic_configs=self._topic_config,
                )
                for t in sorted({self._namespace + t for t in topics} - existing)
            ]
            if wanted:
                with contextlib.suppress(TopicAlreadyExistsError):
                    response = await admin.create_topics(wanted)
                    # The admin client reports per-topic errors in the response instead of raising them,
                    # e.g. a replication factor above the number of brokers.
                    for topic, code, *_ in response.topic_errors:
                        if code not in (0, TopicAlreadyExistsError.errno):
                            raise for_code(code)(f"creating topic {topic}")
                log.info("kafka.topics_created", topics=[t.name for t in wanted])
        finally:
            await admin.close()

    async def ping(self) -> None:
        if self._producer is None:
            raise RuntimeError("Kafka transport not started")
        await self._producer.client.fetch_all_metadata()
