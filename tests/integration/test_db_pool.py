"""The engine's pool without pre-ping: connections the server closed are replaced, not handed out."""

import asyncio

import pytest
from sqlalchemy import text

from bluemap_shared.db import PoolSettings, create_engine

pytestmark = pytest.mark.integration


async def test_pooled_connections_whose_backends_were_terminated_are_replaced_at_checkout(create_database) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(await create_database("pool"), pool=PoolSettings(size=3, max_overflow=3))
    try:

        async def backend_pid() -> int:
            async with engine.connect() as connection:
                await asyncio.sleep(0.05)  # held at once, so the pool opens three connections
                return int(await connection.scalar(text("SELECT pg_backend_pid()")) or 0)

        pooled = set(await asyncio.gather(*(backend_pid() for _ in range(3))))
        assert len(pooled) == 3
        async with engine.connect() as connection:
            # Another session ends the three pooled backends, as a server restart would.
            killer = int(await connection.scalar(text("SELECT pg_backend_pid()")) or 0)
            pooled.discard(killer)
            await connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"),
                {"pids": sorted(pooled)},
            )
        await asyncio.sleep(0.5)  # the event loop reads the closed sockets

        # Every checkout gets a live connection: none of these statements fails.
        now = set(await asyncio.gather(*(backend_pid() for _ in range(3))))
        assert not now & pooled
    finally:
        await engine.dispose()
