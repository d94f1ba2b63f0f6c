"""Imports that run on after the request that started them, in this process."""

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import structlog

from bluemap_records.imports.repository import ImportRepository
from bluemap_shared.db import SessionMaker, utcnow

log = structlog.get_logger()

# A running import writes a heartbeat with every batch, seconds apart; silence this long means
# the process that ran it is gone.
STALE_AFTER = timedelta(minutes=15)
SWEEP_EVERY = 300.0


class ImportJobs:
    """The running imports: kept referenced while they run, interrupted when the service stops."""

    def __init__(self, sessionmaker: SessionMaker) -> None:
        self._sessionmaker = sessionmaker
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name="records.import")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def sweep_stale(self) -> None:
        """Mark imports whose process died as interrupted (every tenant's: a maintenance sweep)."""
        async with self._sessionmaker() as session, session.begin():
            count = await ImportRepository(session).interrupt_stale(utcnow() - STALE_AFTER)
        if count:
            log.warning("imports.interrupted_stale", count=count)

    async def run(self) -> None:
        """Background loop of the service: sweeps now and then; on stop, interrupts what still runs."""
        try:
            while True:
                await self.sweep_stale()
                await asyncio.sleep(SWEEP_EVERY)
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
