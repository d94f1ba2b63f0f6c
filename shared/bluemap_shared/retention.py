"""Retention: rows past their keeping time are deleted in small batches, by one replica at a time.

Each service lists its policies (the messaging tables' come from the kernel); one loop per process
runs them every retention_interval_seconds. On PostgreSQL a transaction-scoped advisory lock lets
one replica run a pass while the others skip theirs, so replicas never fight over the same rows.
Batches keep each transaction (and the locks it takes) short on tables the services are writing.
"""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import ColumnElement, Table, delete, select, text, tuple_

from bluemap_shared.db import SessionMaker, on_postgres, utcnow
from bluemap_shared.metrics import ServiceMetrics

log = structlog.get_logger()

# pg_try_advisory_xact_lock key of the retention pass ("retentio"), distinct from the migrations' lock.
RETENTION_LOCK_KEY = 0x726574656E74696F


@dataclass(frozen=True)
class RetentionPolicy:
    """Delete the rows of table that `expired(cutoff)` selects, cutoff being now minus keep."""

    name: str
    table: Table
    keep: timedelta
    expired: Callable[[datetime], Sequence[ColumnElement[bool]]]


def older_than(
    table: Table, column: str, *also: ColumnElement[bool]
) -> Callable[[datetime], list[ColumnElement[bool]]]:
    """The common case: rows whose column is before the cutoff (NULL never is), and `also`."""
    return lambda cutoff: [table.c[column] < cutoff, *also]


class RetentionLoop:
    """Runs a service's retention policies now and then; at most one replica at a time (PostgreSQL)."""

    def __init__(
        self,
        sessionmaker: SessionMaker,
        policies: Sequence[RetentionPolicy],
        *,
        interval_seconds: float,
        batch_size: int = 5000,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.policies = list(policies)
        self._interval = interval_seconds
        self._batch_size = batch_size
        self._deleted = (
            metrics.counter("bluemap_retention_deleted_rows_total", "Rows deleted by retention", ("policy",))
            if metrics
            else None
        )

    async def run(self) -> None:
        """A pass every interval (the first one interval after start: a starting fleet has enough to do)."""
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("retention.pass_failed")

    async def run_once(self) -> dict[str, int] | None:
        """One pass over every policy: rows deleted per policy, or None when another replica holds the pass."""
        deleted: dict[str, int] = {}
        for policy in self.policies:
            deleted[policy.name] = 0
            while True:
                count = await self._delete_batch(policy)
                if count is None:
                    log.info("retention.skipped", reason="another replica runs it")
                    return None
                deleted[policy.name] += count
                if self._deleted is not None and count:
                    self._deleted.labels(policy.name).inc(count)
                if count < self._batch_size:
                    break
        if any(deleted.values()):
            log.info("retention.pass_done", **deleted)
        return deleted

    async def _delete_batch(self, policy: RetentionPolicy) -> int | None:
        """Delete up to batch_size expired rows in one transaction; None if another replica holds the lock."""
        table = policy.table
        key = list(table.primary_key.columns)
        async with self._sessionmaker() as session, session.begin():
            connection = await session.connection()
            if on_postgres(session):
                held = (
                    await connection.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": RETENTION_LOCK_KEY})
                ).scalar_one()
                if not held:
                    return None
            oldest = select(*key).where(*policy.expired(utcnow() - policy.keep)).limit(self._batch_size)
            target = key[0] if len(key) == 1 else tuple_(*key)
            result = await connection.execute(delete(table).where(target.in_(oldest)))
            return int(result.rowcount or 0)
