"""Helpers of the set-based projection tests: a stream of record events full of traps, and dumps to compare.

Each service's test feeds the same events one by one into one database and as one fetched batch into
another, then compares the read models table by table.
"""

import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bluemap_shared.db import SessionMaker, create_engine, create_sessionmaker
from bluemap_shared.events.catalog import (
    EnterpriseRegistered,
    EnterpriseSnapshot,
    EnterpriseUpdated,
    RecordPublished,
    RecordRetracted,
    RecordStatusChanged,
    RecordUpdated,
)
from bluemap_shared.events.envelope import Envelope, IntegrationEvent, Message
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging.inbox import EventConsumer
from bluemap_shared.messaging.transport import InProcessTransport
from bluemap_shared.migrations import upgrade_to_head

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TENANT = "ipe"
OTHER_TENANT = "other"


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@dataclass
class Scenario:
    """Events in delivery order, and the ids the checks name."""

    envelopes: list[Envelope[Any]] = field(default_factory=list)
    enterprises: dict[str, UUID] = field(default_factory=dict)
    records: list[UUID] = field(default_factory=list)

    def send(self, event: IntegrationEvent, time: datetime, *, tenant: str = TENANT) -> None:
        self.envelopes.append(
            Envelope(data=event, tenant_id=tenant, source="/bluemap/records", subject=event.subject(), time=time)
        )

    def snapshot(self, enterprise: str, name: str) -> EnterpriseSnapshot:
        return EnterpriseSnapshot(
            enterprise_id=self.enterprises[enterprise],
            uscc=f"91610000MA{'ABCD'.index(enterprise):08d}",
            name=name,
            name_en=f"{name} Co., Ltd.",
            region_code="610100",
            registered_emails=[f"ehs-{name.replace(' ', '-').lower()}@example.com"],
        )

    def published(self, record: int, enterprise: str, name: str, *, title: str = "") -> RecordPublished:
        return RecordPublished(
            record_id=self.records[record],
            enterprise=self.snapshot(enterprise, name),
            record_type=("environmental_supervision", "rectification_order", "accident")[record % 3],
            explainable=record % 4 != 3,
            year=2025,
            source_title=title or f"Record {record}",
            issuing_authority="西安市生态环境局",
            issued_on=date(2025, 1, 1) + timedelta(days=record),
            summary=f"Summary {record}",
            published_at=at(record),
            explanation_due_on=date(2099, 1, 1) + timedelta(days=record) if record % 4 != 3 else None,
        )

    def updated(self, record: int, enterprise: str, name: str, *, revision: int) -> RecordUpdated:
        return RecordUpdated(
            record_id=self.records[record],
            enterprise=self.snapshot(enterprise, name),
            record_type=("environmental_supervision", "rectification_order", "accident")[record % 3],
            explainable=True,
            year=2025,
            source_title=f"Record {record} revision {revision}",
            issuing_authority="西安市生态环境局",
            issued_on=date(2025, 1, 1) + timedelta(days=record),
            revision=revision,
            updated_at=at(100 + revision),
            explanation_due_on=date(2099, 6, 1) + timedelta(days=revision),
        )


def projection_scenario() -> Scenario:
    """Registrations, 40 records of four enterprises, updates, replays and lifecycle events, in delivery order.

    Traps: records of one enterprise repeated in a batch with snapshots of different times (an older
    one after a newer one, equal times), an older EnterpriseRegistered after an EnterpriseUpdated, an
    enterprise id named by two tenants, a replayed RecordPublished after a RecordUpdated, an older
    revision after a newer one, a retraction and a status change between runs.
    """
    s = Scenario()
    s.enterprises = {name: uuid7() for name in ("A", "B", "C", "D")}
    s.records = [uuid7() for _ in range(40)]
    s.send(EnterpriseRegistered(enterprise=s.snapshot("A", "A v1")), at(0))
    s.send(EnterpriseRegistered(enterprise=s.snapshot("B", "B v1")), at(1))
    s.send(EnterpriseUpdated(enterprise=s.snapshot("B", "B v3"), status="active"), at(10))
    # One run of 30 RecordPublished: A's snapshots newer, then one older; C's all at one time; D named by two tenants.
    for n in range(30):
        if n % 3 == 0:
            stale = n == 27
            s.send(s.published(n, "A", "A stale" if stale else f"A v2.{n}"), at(-50 if stale else 2 + n))
        elif n % 3 == 1:
            s.send(s.published(n, "C", f"C {n}"), at(5))
        elif n == 2:
            s.send(s.published(n, "D", "D of other"), at(3), tenant=OTHER_TENANT)
        else:
            s.send(s.published(n, "D", f"D {n}"), at(4 + n))
    s.send(EnterpriseUpdated(enterprise=s.snapshot("A", "A v3"), status="suspended"), at(60))
    # A's newer registration came first; this snapshot is older than the update.
    for n in range(30, 40):
        s.send(s.published(n, "A", f"A late {n}"), at(40 + n - 30))
    s.send(s.updated(0, "A", "A v4", revision=2), at(70))
    s.send(s.updated(3, "A", "A v4", revision=1), at(70))
    s.send(
        RecordRetracted(record_id=s.records[6], enterprise_id=s.enterprises["A"], reason="audit", retracted_at=at(71)),
        at(71),
    )
    s.send(
        RecordStatusChanged(
            record_id=s.records[9],
            enterprise_id=s.enterprises["A"],
            previous_status="awaiting_explanation",
            status="resolved",
            changed_at=at(72),
        ),
        at(72),
    )
    s.send(s.updated(0, "A", "A v4 older", revision=1), at(65))
    # Replays: RecordPublished of an updated record, and of a record only published (new event ids).
    s.send(s.published(3, "A", "A replayed", title="Replayed over revision 1"), at(3))
    s.send(s.published(1, "C", "C replayed", title="Replayed title"), at(4))
    s.send(EnterpriseRegistered(enterprise=s.snapshot("B", "B v0")), at(0))
    return s


@asynccontextmanager
async def migrated_consumer(
    package: str, url: str, name: str, register: Callable[[EventConsumer], None]
) -> AsyncIterator[tuple[EventConsumer, AsyncEngine, SessionMaker]]:
    """A service's consumer on a freshly migrated database, with its handlers registered."""
    await upgrade_to_head(package, url)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine, service=name)
    consumer = EventConsumer(name, sessionmaker, InProcessTransport(), max_attempts=1, backoff_seconds=0.01)
    register(consumer)
    try:
        yield consumer, engine, sessionmaker
    finally:
        await engine.dispose()


async def table_rows(
    sessionmaker: SessionMaker, tables: Sequence[Any], *, ignore: Sequence[str] = ()
) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables (SQLModel classes) without the ignored columns, in an order of their values."""
    dump: dict[str, list[dict[str, Any]]] = {}
    async with sessionmaker() as session:
        for model in tables:
            table = model.__table__
            connection = await session.connection()
            rows = (await connection.execute(select(table))).all()
            kept = [{k: v for k, v in row._mapping.items() if k not in ignore} for row in rows]
            # Ordered by what is compared: an ignored key (a uuid7 taken at insert) may order rows differently.
            dump[table.name] = sorted(kept, key=lambda row: repr(list(row.values())))
    return dump


@dataclass(frozen=True)
class BothWays:
    """The read model after the same events went through a consumer one by one, and as one batch."""

    one_by_one: dict[str, list[dict[str, Any]]]
    batched: dict[str, list[dict[str, Any]]]
    writes: Counter[str]  # the batch's write statements, by table


async def replayed_both_ways(
    new_database: Callable[[str], Awaitable[str]],
    package: str,
    name: str,
    register: Callable[[EventConsumer], None],
    tables: Sequence[Any],
    messages: Sequence[Message],
) -> BothWays:
    """Feed messages to a fresh consumer one at a time, and to another as one fetched batch."""
    database = name.replace("-", "_")
    async with migrated_consumer(package, await new_database(database), name, register) as (consumer, _, sessions):
        for message in messages:
            await consumer.process(message)
        one_by_one = await table_rows(sessions, tables)
    async with migrated_consumer(package, await new_database(database), name, register) as (
        consumer,
        engine,
        sessions,
    ):
        with writes_per_table(engine) as writes:
            await consumer.process_batch(messages)
        batched = await table_rows(sessions, tables)
    return BothWays(one_by_one, batched, writes)


_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


@contextmanager
def writes_per_table(engine: AsyncEngine) -> Iterator[Counter[str]]:
    """Count the INSERT, UPDATE and DELETE statements sent through engine, by table written."""
    counts: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        match = _WRITE.match(statement)
        if match:
            counts[match.group(1)] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
