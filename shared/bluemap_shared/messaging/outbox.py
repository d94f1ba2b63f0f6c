"""Transactional outbox: events are rows in the service's own transaction; a relay sends them."""

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

import orjson
import structlog
from sqlalchemy import delete, func, text
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_shared.db import SessionMaker, bulk_insert, copy_rows, on_commit, utcnow
from bluemap_shared.events.envelope import Envelope, IntegrationEvent, Message, context_headers, current_traceparent
from bluemap_shared.failpoints import failpoint
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging.models import OutboxMessage
from bluemap_shared.messaging.transport import Transport

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


def emit(session: AsyncSession, event: IntegrationEvent, *, tenant_id: str) -> Envelope[Any]:
    """Stage an event in the caller's transaction; the relay sends it once that commits."""
    envelope = Envelope(
        data=event,
        tenant_id=tenant_id,
        source=f"/bluemap/{session.info['service']}",
        subject=event.subject(),
        traceparent=current_traceparent.get(),
    )
    session.add(
        OutboxMessage(
            event_id=envelope.id,
            tenant_id=tenant_id,
            topic=event.topic,
            key=envelope.subject,
            event_type=envelope.type,
            headers=[[k, v] for k, v in envelope.headers()],
            payload=envelope.payload(),
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
                "payload": event.__pydantic_serializer__.to_json(event),
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


async def emit_serialized(
    session: AsyncSession, events: Sequence[tuple[type[IntegrationEvent], str, bytes]], *, tenant_id: str
) -> list[UUID]:
    """emit_many() for events already serialised: (event class, subject, JSON payload) each; the event ids.

    For imports writing a hundred thousand events: the caller renders each payload as pydantic
    would (and checks that it does), the headers come from one template per event type.
    """
    if not events:
        return []
    source = f"/bluemap/{session.info['service']}"
    traceparent = current_traceparent.get()
    now = utcnow()
    time_text = now.isoformat()
    on_postgres = session.get_bind().dialect.name == "postgresql"
    templates: dict[str, tuple[str, str, str]] = {}
    rows: list[tuple[Any, ...]] = []
    for (event_class, subject, payload), (event_id, id_text) in zip(events, _uuid7_pairs(len(events)), strict=True):
        event_type = event_class.event_type
        template = templates.get(event_type)
        if template is None:
            headers = context_headers(_ID_SLOT, source, event_type, _SUBJECT_SLOT, time_text, tenant_id, traceparent)
            # JSON escapes the stand-ins' control characters; split the JSON text where they are.
            rendered = orjson.dumps(headers).decode()
            before, rest = rendered.split(orjson.dumps(_ID_SLOT).decode()[1:-1])
            between, after = rest.split(orjson.dumps(_SUBJECT_SLOT).decode()[1:-1])
            template = templates[event_type] = (before, between, after)
        before, between, after = template
        headers_json = f"{before}{id_text}{between}{orjson.dumps(subject).decode()[1:-1]}{after}"
        rows.append(
            (
                event_id,
                tenant_id,
                event_class.topic,
                subject,
                event_type,
                headers_json if on_postgres else orjson.loads(headers_json),
                payload,
                now,
                now,
                None,
                0,
                None,
            )
        )
    await copy_rows(session, OutboxMessage.__table__, OUTBOX_COLUMNS, rows)  # type: ignore[attr-defined]
    _wake_relay_on_commit(session)
    return [row[0] for row in rows]


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
        batch_size: int = 200,
        poll_interval: float = 1.0,
        max_backoff: float = 60.0,
        retention: timedelta = timedelta(days=7),
        listen_dsn: str | None = None,
    ) -> None:
        self.service = service
        # A relay in a process of its own hears commits through PostgreSQL (LISTEN) instead of a poll.
        self._listen_dsn = listen_dsn
        self._sessionmaker = sessionmaker
        self._transport = transport
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._retention = retention
        self._wakeup = asyncio.Event()

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
        polls = 0
        try:
            while True:
                self._wakeup.clear()
                try:
                    sent = await self.publish_pending()
                except Exception:
                    log.exception("outbox.relay_failed", service=self.service)
                    sent = 0
                if sent:
                    continue
                polls += 1
                if polls % 3600 == 0:
                    await self.purge_published()
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
        """Send one batch of due rows; return how many were published."""
        now = utcnow()
        claim = (
            select(OutboxMessage)
            .where(
                col(OutboxMessage.published_at).is_(None),
                col(OutboxMessage.next_attempt_at) <= now,
            )
            .order_by(col(OutboxMessage.id))
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
        )
        async with self._sessionmaker() as session, session.begin():
            claimed = list((await session.exec(claim)).all())
            rows = await self._in_key_order(session, claimed)
            if not rows:
                return 0
            messages = [
                Message(
                    topic=row.topic,
                    key=row.key.encode(),
                    value=row.payload,
                    headers=[(k, v.encode()) for k, v in row.headers],
                )
                for row in rows
            ]
            try:
                await self._transport.publish(messages)
            except Exception as exc:
                for row in rows:
                    row.attempts += 1
                    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                    backoff = min(self._max_backoff, 0.5 * 2 ** min(row.attempts, 16))
                    row.next_attempt_at = now + timedelta(seconds=backoff)
                log.warning("outbox.publish_failed", service=self.service, rows=len(rows), error=str(exc))
                return 0
            await failpoint("outbox.before_mark_published")
            published_at = utcnow()
            for row in rows:
                row.published_at = published_at
            log.debug("outbox.published", service=self.service, rows=len(rows))
            return len(rows)

    @staticmethod
    async def _in_key_order(session: AsyncSession, claimed: list[OutboxMessage]) -> list[OutboxMessage]:
        """Drop claimed rows that an earlier pending row of the same key must precede.

        Such a row is locked by another relay (SKIP LOCKED passed it) or still backing off;
        publishing past it would reorder that aggregate's events.
        """
        if not claimed:
            return []
        claimed_ids = [row.id for row in claimed]
        earliest_elsewhere = dict(
            (
                await session.exec(
                    select(OutboxMessage.key, func.min(OutboxMessage.id))
                    .where(
                        col(OutboxMessage.published_at).is_(None),
                        col(OutboxMessage.key).in_({row.key for row in claimed}),
                        col(OutboxMessage.id).not_in(claimed_ids),
                        col(OutboxMessage.id) < max(claimed_ids),  # type: ignore[type-var]
                    )
                    .group_by(col(OutboxMessage.key))
                )
            ).all()
        )
        return [row for row in claimed if row.id < earliest_elsewhere.get(row.key, row.id + 1)]  # type: ignore[operator]

    async def purge_published(self) -> None:
        """Forget rows published longer ago than the retention period."""
        cutoff = utcnow() - self._retention
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                delete(OutboxMessage).where(OutboxMessage.published_at < cutoff)  # type: ignore[arg-type,operator]
            )
