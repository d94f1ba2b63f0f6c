"""Objects no document references (a failed upload's, a render never recorded, an offboarded tenant's) are deleted.

An object is written before the row that references it commits, so only objects older than the
grace period are candidates: an upload or a render in flight is never collected. One replica at a
time collects (a session advisory lock on PostgreSQL).
"""

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy import text
from sqlmodel import col, select

from bluemap_documents.documents.models import Document
from bluemap_shared.db import SessionMaker, utcnow
from bluemap_shared.storage import ObjectStorage, StoredObject

log = structlog.get_logger()

# pg_try_advisory_lock key of the collector ("objectgc").
COLLECTOR_LOCK_KEY = 0x6F626A6563746763
# Keys checked against the documents table in one query.
CHECK_BATCH = 1000


@dataclass
class Collected:
    """What one pass saw and deleted."""

    listed: int = 0
    deleted: int = 0


class ObjectCollector:
    """Deletes stored objects that no document row references, once older than grace."""

    def __init__(
        self, sessionmaker: SessionMaker, storage: ObjectStorage, *, grace: timedelta, interval_seconds: float
    ) -> None:
        self._sessionmaker = sessionmaker
        self._storage = storage
        self._grace = grace
        self._interval = interval_seconds

    async def run(self) -> None:
        """A pass every interval (the first one interval after start)."""
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.collect()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("objects.collect_failed")

    async def collect(self) -> Collected | None:
        """One pass over the whole store; None when another replica is collecting."""
        async with self._sessionmaker() as session:
            connection = await session.connection()
            if connection.dialect.name == "postgresql":
                held = (
                    await connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": COLLECTOR_LOCK_KEY})
                ).scalar_one()
                if not held:
                    return None
            try:
                return await self._collect()
            finally:
                if connection.dialect.name == "postgresql":
                    await connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": COLLECTOR_LOCK_KEY})

    async def _collect(self) -> Collected:
        cutoff = utcnow() - self._grace
        collected = Collected()
        batch: list[StoredObject] = []
        async for stored in self._storage.list():
            collected.listed += 1
            if stored.modified < cutoff:
                batch.append(stored)
            if len(batch) == CHECK_BATCH:
                collected.deleted += await self._delete_unreferenced(batch)
                batch = []
        if batch:
            collected.deleted += await self._delete_unreferenced(batch)
        log.info("objects.collected", listed=collected.listed, deleted=collected.deleted)
        return collected

    async def _delete_unreferenced(self, candidates: list[StoredObject]) -> int:
        keys = [stored.key for stored in candidates]
        async with self._sessionmaker() as session:
            found = await session.exec(select(Document.storage_key).where(col(Document.storage_key).in_(keys)))
            referenced: set[str] = set(found.all())
        orphans = [key for key in keys if key not in referenced]
        for key in orphans:
            await self._storage.delete(key)
        if orphans:
            log.info("objects.deleted", count=len(orphans), first=orphans[0])
        return len(orphans)
