"""Database plumbing: engines for PostgreSQL and SQLite, sessions, portable upserts, bulk inserts."""

import operator
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, DateTime, Integer, Table, event, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

# SQLite only autoincrements INTEGER PRIMARY KEY, PostgreSQL wants 64 bits.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """Timezone-aware now in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns aware datetimes, also from SQLite, which drops the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class PoolSettings:
    """PostgreSQL connection pool of one process (SQLite opens a connection per session)."""

    size: int = 10
    max_overflow: int = 10
    timeout_seconds: float = 30.0
    recycle_seconds: int = 1800


def create_engine(url: str, *, pool: PoolSettings = PoolSettings()) -> AsyncEngine:
    """Engine for asyncpg or aiosqlite; SQLite gets WAL and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_async_engine(
        url,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.timeout_seconds,
        pool_recycle=pool.recycle_seconds,
        pool_pre_ping=True,
    )


SessionMaker = async_sessionmaker[AsyncSession]


# Under Kafka's 1 MiB default request and message limits, with room for the headers.
DEFAULT_MAX_EVENT_BYTES = 900 * 1024


def create_sessionmaker(
    engine: AsyncEngine, *, service: str, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> SessionMaker:
    """Sessions that know their service (the event source) and its largest event; objects kept after commit."""
    return async_sessionmaker(
        engine,
        class_=AsyncSession,
        expire_on_commit=False,
        info={"service": service, "max_event_bytes": max_event_bytes},
    )


def on_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run callback once, after the session's current transaction commits."""
    callbacks: list[Callable[[], None]] = session.info.setdefault("after_commit", [])
    if callback not in callbacks:
        callbacks.append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(sync_session: Session) -> None:
    for callback in sync_session.info.pop("after_commit", []):
        callback()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(sync_session: Session) -> None:
    sync_session.info.pop("after_commit", None)


def on_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_for(session: AsyncSession) -> Callable[..., Any]:
    """The dialect's INSERT construct, which knows ON CONFLICT (PostgreSQL and SQLite alike)."""
    return postgresql.insert if on_postgres(session) else sqlite.insert


async def insert_ignore(
    session: AsyncSession,
    model: type[SQLModel],
    values: dict[str, Any],
    conflict_columns: Sequence[str],
    *,
    index_where: Any = None,
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was inserted."""
    table = model.__table__  # type: ignore[attr-defined]
    stmt = (
        insert_for(session)(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict_columns), index_where=index_where)
    )
    result = await session.exec(stmt)
    return bool(result.rowcount)


async def upsert(
    session: AsyncSession,
    model: type[SQLModel],
    values: dict[str, Any],
    *,
    key: Sequence[str] = ("id",),
    keep: Collection[str] = (),
    only_if: Callable[[Any, Any], Any] | None = None,
) -> bool:
    """Insert the row, or overwrite the existing one's columns but key and keep.

    only_if(table, excluded) gives the condition under which an existing row is overwritten.
    True when a row was written.
    """
    table = model.__table__  # type: ignore[attr-defined]
    stmt = insert_for(session)(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={column: stmt.excluded[column] for column in values if column not in key and column not in keep},
        where=only_if(table, stmt.excluded) if only_if is not None else None,
    )
    result = await session.exec(stmt)
    return bool(result.rowcount)


async def upsert_many(
    session: AsyncSession,
    model: type[SQLModel],
    rows: Sequence[dict[str, Any]],
    *,
    key: Sequence[str] = ("id",),
    keep: Collection[str] = (),
    only_if: Callable[[Any, Any], Any] | None = None,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """upsert() of many rows at once: rows hold the same columns and distinct keys.

    A statement may not touch one row twice (PostgreSQL refuses, SQLite keeps either): see
    standing_rows. The returning columns of the rows written come back.
    """
    if not rows:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    # One statement compiled once (and cached), its rows sent as parameters: SQLAlchemy's
    # "insertmanyvalues" writes them as multi-row VALUES batches. Building .values(rows) instead
    # compiled a statement of thousands of parameters on every call, most of a batch's CPU.
    stmt = insert_for(session)(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={column: stmt.excluded[column] for column in rows[0] if column not in key and column not in keep},
        where=only_if(table, stmt.excluded) if only_if is not None else None,
    )
    if not returning:
        await session.exec(stmt, params=list(rows))
        return []
    result = await session.exec(stmt.returning(*(table.c[column] for column in returning)), params=list(rows))
    return [tuple(row) for row in result.all()]


async def insert_ignore_many(
    session: AsyncSession, model: type[SQLModel], rows: Sequence[dict[str, Any]], conflict_columns: Sequence[str]
) -> int:
    """insert_ignore() of many rows (the same columns) at once; how many were inserted."""
    if not rows:
        return 0
    table = model.__table__  # type: ignore[attr-defined]
    # Compiled once, rows as parameters (see upsert_many); RETURNING counts what went in on every driver.
    stmt = (
        insert_for(session)(table)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(table.c[conflict_columns[0]])
    )
    return len((await session.exec(stmt, params=list(rows))).all())


def standing_rows(
    rows: Iterable[dict[str, Any]], *, key: Sequence[str], newer: str | None = None, owner: str | None = None
) -> list[list[dict[str, Any]]]:
    """Rows meant for upsert() one by one in this order, as statements of distinct keys that write the same.

    Of the rows of one key, the one that stands at the end is kept: the latest by the newer column
    when the upsert takes only rows not older than the stored one (of equal times the last given),
    else the last given. An upsert that refuses to move a row to another owner (a tenant) keeps the
    first owner's row: each further owner of a key goes to a later statement, in the order the owners
    first appear, where the guard refuses it as it would have one by one. Without such keys: one statement.
    """
    statements: list[dict[tuple[Any, ...], dict[str, Any]]] = []
    owners: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        row_key = tuple(row[column] for column in key)
        round_ = 0
        if owner is not None:
            seen = owners.setdefault(row_key, [])
            if row[owner] not in seen:
                seen.append(row[owner])
            round_ = seen.index(row[owner])
        while len(statements) <= round_:
            statements.append({})
        standing = statements[round_].get(row_key)
        if standing is None or newer is None or standing[newer] <= row[newer]:
            statements[round_][row_key] = row
    return [list(statement.values()) for statement in statements]


async def bulk_insert(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys: every column but autoincremented ids) in the session's transaction.

    PostgreSQL gets them by COPY, several times faster than INSERT for thousands of rows; a
    constraint violation fails the transaction as an INSERT would. Other databases get one
    prepared INSERT executed for each row. Values skip SQLAlchemy's type processing on the COPY
    path: datetimes must be aware, JSON columns are serialised here.
    """
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        await session.exec(insert(table), params=list(rows))
        return
    columns = list(rows[0])
    as_tuple = operator.itemgetter(*columns)
    records = [as_tuple(row) for row in rows] if len(columns) > 1 else [(row[columns[0]],) for row in rows]
    json_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    if json_at:
        converted = []
        for record in records:
            values = list(record)
            for i in json_at:
                values[i] = orjson.dumps(values[i]).decode()
            converted.append(tuple(values))
        records = converted
    await copy_rows(session, table, columns, records)


async def copy_rows(
    session: AsyncSession, table: Table, columns: Sequence[str], records: Sequence[tuple[Any, ...]]
) -> None:
    """Insert rows given as tuples in columns' order, in the session's transaction: COPY on PostgreSQL.

    The values go to the driver as they are: datetimes aware, JSON columns as JSON text on
    PostgreSQL. Other databases get one prepared INSERT per row, through SQLAlchemy's types (JSON
    columns as Python values there).
    """
    if not records:
        return
    if session.get_bind().dialect.name != "postgresql":
        await session.exec(insert(table), params=[dict(zip(columns, record, strict=True)) for record in records])
        return
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    if not driver.is_in_transaction():
        # SQLAlchemy opens the database transaction with its first statement; COPY must not run outside it.
        await connection.execute(text("SELECT 1"))
    await driver.copy_records_to_table(table.name, records=records, columns=list(columns))


async def ping(engine: AsyncEngine) -> None:
    """Raise unless the database answers."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
