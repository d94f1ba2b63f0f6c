"""Transactional outbox: events are rows in the service's own transaction; a relay sends them."""

import asyncio
import contextlib
import os
import struct
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
import structlog
from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_shared.db import (
    DEFAULT_MAX_EVENT_BYTES,
    SessionMaker,
    bulk_insert,
    copy_rows,
    on_commit,
    on_postgres,
    utcnow,
)
from bluemap_shared.events.envelope import Envelope, IntegrationEvent, Message, context_headers, current_traceparent
from bluemap_shared.failpoints import failpoint
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging.claimcheck import ClaimChecks
from bluemap_shared.messaging.models import DeadLetter, OutboxMessage
from bluemap_shared.messaging.transport import MessageRefused, Transport
from bluemap_shared.metrics import ServiceMetrics
from bluemap_shared.problems import PayloadTooLarge

log = structlog.get_logger()

_relay_wakers: dict[str, Callable[[], None]] = {}
_NOTIFY_RELAYS = "bluemap_shared.messaging.outbox.notify"  # session.info key: the channel to notify at commit
_NOTIFY = text("SELECT pg_notify(:channel, '')")
RELISTEN_DELAY = 1.0  # seconds between a relay's lost LISTEN connection and its next attempt


def relay_channel(service: str) -> str:
    """The PostgreSQL channel on which a service's relay processes hear of new outbox rows."""
    return f"bluemap_outbox_{service.replace('-', '_')}"


def _wake_relay_on_commit(session: AsyncSession) -> None:
    service = session.info["service"]
    waker = _relay_wakers.get(service)
    if waker is not None:
        on_commit(session, waker)
    else:
        # No relay in this process: the relay processes (`relay` command) LISTEN, and the notice
        # reaches them when, and only if, this transaction commits.
        session.info[_NOTIFY_RELAYS] = relay_channel(service)


@orm_event.listens_for(Session, "before_commit")
def _notify_relays(sync_session: Session) -> None:
    channel = sync_session.info.pop(_NOTIFY_RELAYS, None)
    if channel is not None and sync_session.get_bind().dialect.name == "postgresql":
        sync_session.execute(_NOTIFY, {"channel": channel})


@orm_event.listens_for(Session, "after_rollback")
def _forget_notice(sync_session: Session) -> None:
    sync_session.info.pop(_NOTIFY_RELAYS, None)


class EventTooLarge(PayloadTooLarge):
    """The change would make an event larger than the broker takes."""

    type = "event-too-large"
    title = "Too large for one event"


def _refuse_oversized(session: AsyncSession, event_type: str, size: int) -> None:
    limit = session.info.get("max_event_bytes", DEFAULT_MAX_EVENT_BYTES)
    if size > limit:
        raise EventTooLarge(
            f"This change would publish {event_type} of {size:,} bytes; at most {limit:,} fit in one event. "
            "Make it smaller (for example, fewer records or shorter texts at once).",
            size=size,
            limit=limit,
        )


def emit(session: AsyncSession, event: IntegrationEvent, *, tenant_id: str) -> Envelope[Any]:
    """Stage an event in the caller's transaction; the relay sends it once that commits.

    Raises EventTooLarge (413) for an event the broker would never take.
    """
    envelope = Envelope(
        data=event,
        tenant_id=tenant_id,
        source=f"/bluemap/{session.info['service']}",
        subject=event.subject(),
        traceparent=current_traceparent.get(),
    )
    payload = envelope.payload()
    _refuse_oversized(session, envelope.type, len(payload))
    session.add(
        OutboxMessage(
            event_id=envelope.id,
            tenant_id=tenant_id,
            topic=event.topic,
            key=envelope.subject,
            event_type=envelope.type,
            headers=[[k, v] for k, v in envelope.headers()],
            payload=payload,
        )
    )
    _wake_relay_on_commit(session)
    return envelope


async def emit_many(session: AsyncSession, events: Sequence[IntegrationEvent], *, tenant_id: str) -> list[UUID]:
    """emit() for a batch staged at one moment: one bulk insert (COPY on PostgreSQL); the event ids, in order.

    Thousands of events at a time (imports): no ORM object and no Envelope per event, the same rows.
    """
    if not events:
        return []
    source = f"/bluemap/{session.info['service']}"
    traceparent = current_traceparent.get()
    now = utcnow()
    time = now.isoformat()
    rows: list[dict[str, Any]] = []
    for event in events:
        event_id = uuid7()
        subject = event.subject()
        payload = event.__pydantic_serializer__.to_json(event)
        _refuse_oversized(session, event.event_type, len(payload))
        rows.append(
            {
                "event_id": event_id,
                "tenant_id": tenant_id,
                "topic": event.topic,
                "key": subject,
                "event_type": event.event_type,
                "headers": context_headers(
                    str(event_id), source, event.event_type, subject, time, tenant_id, traceparent
                ),
                "payload": payload,
                "created_at": now,
                "next_attempt_at": now,
                "published_at": None,
                "attempts": 0,
                "last_error": None,
            }
        )
    await bulk_insert(session, OutboxMessage.__table__, rows)  # type: ignore[attr-defined]
    _wake_relay_on_commit(session)
    return [row["event_id"] for row in rows]


OUTBOX_COLUMNS = (
    "event_id",
    "tenant_id",
    "topic",
    "key",
    "event_type",
    "headers",
    "payload",
    "created_at",
    "next_attempt_at",
    "published_at",
    "attempts",
    "last_error",
)
_ID_SLOT, _SUBJECT_SLOT = "\x1eid\x1e", "\x1esubject\x1e"  # stand-ins in a headers template; never in a value
_ID_SLOT_BYTES, _SUBJECT_SLOT_BYTES = _ID_SLOT.encode(), _SUBJECT_SLOT.encode()


def _uuid7_pairs(count: int) -> list[tuple[UUID, str]]:
    """count version 7 UUIDs of this millisecond (as ids.uuid7 makes them), each with its text."""
    head = ((time.time_ns() // 1_000_000) & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | 0b10 << 62
    noise = os.urandom(10 * count)
    pairs = []
    for at in range(0, 10 * count, 10):
        rand = int.from_bytes(noise[at : at + 10], "big")
        uuid = _uuid((head | ((rand >> 62) & 0xFFF) << 64 | rand & 0x3FFF_FFFF_FFFF_FFFF).to_bytes(16, "big"))
        pairs.append((uuid, str(uuid)))
    return pairs


def _plain_uuid(data: bytes) -> UUID:
    return UUID(bytes=data)


try:
    # asyncpg's UUID (a uuid.UUID): COPY takes its bytes as they are, and its str() is ten times cheaper.
    from asyncpg.pgproto.pgproto import UUID as _uuid  # noqa: N811
except ImportError:  # pragma: no cover  # SQLite-only installs
    _uuid = _plain_uuid


BATCH_EVENT_TYPE = "org.bluemap.outbox.batch"  # an outbox row that holds many events; never on a topic
_FRAME = struct.Struct(">16sHI")  # event id, subject length, payload length


def _pack_batch(events: Sequence[tuple[UUID, str, bytes]]) -> bytes:
    """Frame (event id, subject, payload) triples into one outbox payload."""
    parts: list[bytes] = []
    for event_id, subject, payload in events:
        subject_bytes = subject.encode()
        parts.append(_FRAME.pack(event_id.bytes, len(subject_bytes), len(payload)))
        parts.append(subject_bytes)
        parts.append(payload)
    return b"".join(parts)


def unpack_batch(packed: bytes) -> Iterator[tuple[str, str, bytes]]:
    """The (event id, subject, payload) of each event of a batch row, in order."""
    view = memoryview(packed)
    at, end = 0, len(packed)
    while at < end:
        id_bytes, subject_length, payload_length = _FRAME.unpack_from(view, at)
        at += _FRAME.size
        subject = bytes(view[at : at + subject_length]).decode()
        at += subject_length
        yield str(UUID(bytes=id_bytes)), subject, bytes(view[at : at + payload_length])
        at += payload_length


async def emit_batch(
    session: AsyncSession, events: Sequence[tuple[type[IntegrationEvent], str, bytes]], *, tenant_id: str
) -> list[UUID]:
    """Events already serialised, (event class, subject, JSON payload) each, staged as ONE outbox row.

    The relay expands the row into one message per event; the event ids come back, in order.

    For imports: one row per batch instead of one per record. On the topics nothing changes: each
    event is its own message (key = subject) with the headers emit would give it. The
    row orders like any other and, since it holds many keys, the relay lets no later row of any key
    overtake it. Every event must be of one type (so of one topic).
    """
    if not events:
        return []
    kinds = {event_class for event_class, _, _ in events}
    if len(kinds) != 1:
        raise ValueError(f"a batch holds events of one type, not {sorted(k.event_type for k in kinds)}")
    [event_class] = kinds
    for _, _, payload in events:
        _refuse_oversized(session, event_class.event_type, len(payload))
    source = f"/bluemap/{session.info['service']}"
    now = utcnow()
    headers = context_headers(
        _ID_SLOT, source, event_class.event_type, _SUBJECT_SLOT, now.isoformat(), tenant_id, current_traceparent.get()
    )
    ids = [event_id for event_id, _ in _uuid7_pairs(len(events))]
    framed = _pack_batch([(i, subject, payload) for i, (_, subject, payload) in zip(ids, events, strict=True)])
    row = (
        uuid7(),
        tenant_id,
        event_class.topic,
        f"batch:{ids[0]}",
        BATCH_EVENT_TYPE,
        orjson.dumps(headers).decode() if on_postgres(session) else headers,
        framed,
        now,
        now,
        None,
        0,
        None,
    )
    await copy_rows(session, OutboxMessage.__table__, OUTBOX_COLUMNS, [row])  # type: ignore[attr-defined]
    _wake_relay_on_commit(session)
    return ids


def messages_of(row: Any) -> list[Message]:
    """The messages an outbox row stands for: itself, or each event of a batch row."""
    headers = [(k, v.encode()) for k, v in row.headers]
    if row.event_type != BATCH_EVENT_TYPE:
        return [Message(topic=row.topic, key=row.key.encode(), value=row.payload, headers=headers)]
    messages = []
    for event_id, subject, payload in unpack_batch(row.payload):
        key = subject.encode()
        filled = [
            (k, event_id.encode() if v == _ID_SLOT_BYTES else key if v == _SUBJECT_SLOT_BYTES else v)
            for k, v in headers
        ]
        messages.append(Message(topic=row.topic, key=key, value=payload, headers=filled))
    return messages


class OutboxRelay:
    """Publishes pending outbox rows in order per key; safe to run in many processes at once.

    Rows are claimed with FOR UPDATE SKIP LOCKED (PostgreSQL) and marked published in the same
    transaction, so a crash mid-batch leaves them pending and the next poll sends them again.
    """

    def __init__(
        self,
        service: str,
        sessionmaker: SessionMaker,
        transport: Transport,
        *,
        batch_size: int = 1000,
        poll_interval: float = 1.0,
        max_backoff: float = 60.0,
        listen_dsn: str | None = None,
        metrics: ServiceMetrics | None = None,
        claim_checks: ClaimChecks | None = None,
    ) -> None:
        self.service = service
        # Payloads over the broker's comfort go as stored objects (claim checks), when configured.
        self._claim_checks = claim_checks
        self.metrics = metrics or ServiceMetrics(service)
        # A relay in a process of its own hears commits through PostgreSQL (LISTEN) instead of a poll.
        self._listen_dsn = listen_dsn
        self._sessionmaker = sessionmaker
        self._transport = transport
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()

    def stop_after_batch(self) -> None:
        """Claim no more: run() returns once the batch in hand is published and marked."""
        self._stopping.set()
        self._wakeup.set()

    def wake(self) -> None:
        """Ask the relay to look for new rows now instead of at the next poll."""
        self._wakeup.set()

    async def run(self, *, in_process: bool = True) -> None:
        """Publish until cancelled; the poll also sweeps rows a crashed process left pending.

        in_process: this process's commits wake the relay directly; otherwise (a `relay` process)
        they notify it through PostgreSQL, and the poll alone serves other databases.
        """
        if in_process:
            _relay_wakers[self.service] = self.wake
        listener = (
            asyncio.create_task(self._hear_commits(), name=f"{self.service}.relay.listen")
            if self._listen_dsn and not in_process
            else None
        )
        try:
            while not self._stopping.is_set():
                self._wakeup.clear()
                try:
                    sent = await self.publish_pending()
                except Exception:
                    log.exception("outbox.relay_failed", service=self.service)
                    sent = 0
                if sent:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll_interval)
        finally:
            if in_process:
                _relay_wakers.pop(self.service, None)
            if listener is not None:
                listener.cancel()
                await asyncio.gather(listener, return_exceptions=True)

    async def _hear_commits(self) -> None:
        """Wake the relay whenever a transaction that staged events commits; reconnect when the connection drops."""
        import asyncpg  # only PostgreSQL deployments run relay processes

        assert self._listen_dsn is not None
        channel = relay_channel(self.service)
        while True:
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(
                    self._listen_dsn, server_settings={"application_name": f"bluemap-{self.service}-relay"}
                )
                closed = asyncio.Event()
                connection.add_termination_listener(lambda _connection, closed=closed: closed.set())
                await connection.add_listener(channel, lambda *_notice: self.wake())
                log.info("outbox.relay_listening", service=self.service, channel=channel)
                self.wake()  # rows committed while nobody listened
                await closed.wait()
                log.warning("outbox.relay_listener_lost", service=self.service)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("outbox.relay_listen_failed", service=self.service, error=error)
            finally:
                if connection is not None:
                    connection.terminate()
            # Until it listens again, the poll keeps the relay going.
            await asyncio.sleep(RELISTEN_DELAY)

    async def publish_pending(self) -> int:
        """Send one batch of due rows; return how many rows were published."""
        now = utcnow()
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        claim = (
            select(table.c.id, table.c.topic, table.c.key, table.c.event_type, table.c.headers, table.c.payload)
            .where(table.c.published_at.is_(None), table.c.next_attempt_at <= now)
            .order_by(table.c.id)
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
        )
        async with self._sessionmaker() as session, session.begin():
            claimed = list((await (await session.connection()).execute(claim)).all())
            rows = await self._in_key_order(session, claimed)
            if not rows:
                return 0
            expanded = [messages_of(row) for row in rows]
            messages = [message for row_messages in expanded for message in row_messages]
            ids = [row.id for row in rows]
            try:
                if self._claim_checks is not None:
                    messages = [await self._claim_checks.check_in(message) for message in messages]
                await self._transport.publish(messages)
            except MessageRefused as refused:
                return await self._set_aside(session, rows, expanded, refused)
            except Exception as exc:
                await self._back_off(session, ids, now, f"{type(exc).__name__}: {exc}"[:2000])
                log.warning("outbox.publish_failed", service=self.service, rows=len(rows), error=str(exc))
                return 0
            await failpoint("outbox.before_mark_published")
            await (await session.connection()).execute(
                update(table).where(table.c.id.in_(ids)).values(published_at=utcnow())
            )
            self._count(messages)
            log.debug("outbox.published", service=self.service, rows=len(rows), messages=len(messages))
            return len(rows)

    def _count(self, messages: Sequence[Message]) -> None:
        # Counted when the rows are marked: a rollback after it republishes, as the delivery promise says.
        for topic, count in Counter(m.topic for m in messages).items():
            self.metrics.outbox_published.labels(topic).inc(count)

    async def _set_aside(
        self, session: AsyncSession, rows: list[Any], expanded: list[list[Message]], refused: MessageRefused
    ) -> int:
        """Mark the rows before the refused one published, and dead-letter that one; later rows go next poll.

        The broker will never take it (too large, invalid), and waiting for it would stop every event
        of its key, and of all keys after a batch row, for good.
        """
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        taken, at = 0, 0
        while at + len(expanded[taken]) <= refused.index:
            at += len(expanded[taken])
            taken += 1
        row = rows[taken]
        message = expanded[taken][refused.index - at]
        now = utcnow()
        connection = await session.connection()
        if taken:
            await connection.execute(
                update(table).where(table.c.id.in_([r.id for r in rows[:taken]])).values(published_at=now)
            )
        await connection.execute(
            insert(DeadLetter.__table__).values(  # type: ignore[attr-defined]
                consumer=f"outbox.{self.service}",
                topic=row.topic,
                partition=-1,
                offset=-1,
                event_id=message.header("ce_id"),
                event_type=message.header("ce_type"),
                tenant_id=message.header("ce_tenantid"),
                key=row.key,
                headers=[[k, v.decode("utf-8", "replace")] for k, v in message.headers],
                payload=row.payload,
                reason="broker-refused",
                error=refused.reason[:10_000],
                attempts=1,
                created_at=now,
            )
        )
        await connection.execute(
            update(table)
            .where(table.c.id == row.id)
            .values(published_at=now, last_error=f"dead-lettered: {refused.reason}"[:2000])
        )
        self._count([m for row_messages in expanded[:taken] for m in row_messages])
        self.metrics.outbox_dead_lettered.labels(row.topic).inc()
        log.error("outbox.dead_lettered", service=self.service, row_id=row.id, key=row.key, error=refused.reason)
        return taken + 1

    async def _back_off(self, session: AsyncSession, ids: list[int], now: datetime, error: str) -> None:
        """Count a failed attempt on each row and delay its next one, doubling up to max_backoff."""
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        attempts = (
            await (await session.connection()).execute(select(table.c.id, table.c.attempts).where(table.c.id.in_(ids)))
        ).all()
        await (await session.connection()).execute(
            update(table).where(table.c.id == bindparam("row_id")),
            [
                {
                    "row_id": row_id,
                    "attempts": tried + 1,
                    "last_error": error,
                    "next_attempt_at": now + timedelta(seconds=min(self._max_backoff, 0.5 * 2 ** min(tried + 1, 16))),
                }
                for row_id, tried in attempts
            ],
        )

    @staticmethod
    async def _in_key_order(session: AsyncSession, claimed: list[Any]) -> list[Any]:
        """Drop claimed rows that an earlier pending row must precede.

        Such a row is locked by another relay (SKIP LOCKED passed it) or still backing off;
        publishing past it would reorder that aggregate's events. A batch row holds many keys, so
        it is a barrier for all: nothing after it goes first, and it goes only when nothing earlier waits.
        """
        if not claimed:
            return []
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        claimed_ids = [row.id for row in claimed]
        unclaimed_earlier = (
            table.c.published_at.is_(None),
            table.c.id.not_in(claimed_ids),
            table.c.id < max(claimed_ids),
        )
        earliest_elsewhere: dict[str, int] = dict(
            (
                await (await session.connection()).execute(
                    select(table.c.key, func.min(table.c.id))
                    .where(*unclaimed_earlier, table.c.key.in_({row.key for row in claimed}))
                    .group_by(table.c.key)
                )
            ).all()
        )
        barriers = select(func.min(table.c.id)).where(*unclaimed_earlier)
        first_batch_waiting = (
            await (await session.connection()).execute(barriers.where(table.c.event_type == BATCH_EVENT_TYPE))
        ).scalar_one_or_none()
        first_waiting = None
        if any(row.event_type == BATCH_EVENT_TYPE for row in claimed):
            first_waiting = (await (await session.connection()).execute(barriers)).scalar_one_or_none()
        kept = []
        for row in claimed:
            if first_batch_waiting is not None and row.id > first_batch_waiting:
                break
            if row.event_type == BATCH_EVENT_TYPE and first_waiting is not None and row.id > first_waiting:
                break  # and so everything claimed after it
            if row.id < earliest_elsewhere.get(row.key, row.id + 1):
                kept.append(row)
        return kept
