"""standing_rows (pure) and upsert_many past the parameter limit of one statement (on SQLite)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from sqlmodel import SQLModel, func, select

from bluemap_shared.db import (
    create_engine,
    create_sessionmaker,
    insert_ignore_many,
    standing_rows,
    upsert_many,
)
from bluemap_shared.messaging.models import InboxMessage

T = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_latest_row_of_a_key_stands_and_of_equal_times_the_last():
    rows = [
        {"id": 1, "tenant_id": "a", "at": T, "name": "first"},
        {"id": 2, "tenant_id": "a", "at": T, "name": "other key"},
        {"id": 1, "tenant_id": "a", "at": T + timedelta(1), "name": "newest"},
        {"id": 1, "tenant_id": "a", "at": T - timedelta(1), "name": "older, later"},
        {"id": 2, "tenant_id": "a", "at": T, "name": "tie, later"},
    ]
    assert standing_rows(rows, key=("id",), newer="at") == [[rows[2], rows[4]]]
    assert standing_rows(rows, key=("id",)) == [[rows[3], rows[4]]], "without times the last given stands"


def test_a_second_owner_of_a_key_waits_for_a_later_statement():
    rows = [
        {"id": 1, "tenant_id": "b", "at": T, "name": "b first"},
        {"id": 1, "tenant_id": "a", "at": T + timedelta(1), "name": "a"},
        {"id": 1, "tenant_id": "b", "at": T + timedelta(2), "name": "b newest"},
        {"id": 2, "tenant_id": "a", "at": T, "name": "a alone"},
    ]
    assert standing_rows(rows, key=("id",), newer="at", owner="tenant_id") == [[rows[2], rows[3]], [rows[1]]]


async def test_upsert_many_writes_more_rows_than_one_statement_may_carry(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: SQLModel.metadata.create_all(sync, tables=[InboxMessage.__table__]))  # type: ignore[attr-defined]
    sessions = create_sessionmaker(engine, service="test")
    count = 6_000  # six columns a row: more parameters than one SQLite or PostgreSQL statement carries
    rows = [
        {
            "consumer": "c",
            "event_id": uuid4(),
            "event_type": "t",
            "tenant_id": "x",
            "outcome": "handled",
            "handled_at": T,
        }
        for _ in range(count)
    ]
    async with sessions() as session, session.begin():
        assert await insert_ignore_many(session, InboxMessage, rows[:100], ("consumer", "event_id")) == 100
        written = await upsert_many(
            session,
            InboxMessage,
            [row | {"outcome": "again"} for row in rows],
            key=("consumer", "event_id"),
            returning=("event_id",),
        )
        assert len(written) == count
        assert await insert_ignore_many(session, InboxMessage, rows, ("consumer", "event_id")) == 0
    async with sessions() as session:
        outcomes = (await session.exec(select(InboxMessage.outcome, func.count()).group_by(InboxMessage.outcome))).all()
    assert outcomes == [("again", count)]
    await engine.dispose()
