"""The loop that signs and publishes each tenant's tree head while its log grows."""

import asyncio
import contextlib

import structlog

from bluemap_portal.history import service
from bluemap_portal.history.signing import SigningKeys
from bluemap_shared.db import SessionMaker

log = structlog.get_logger()


class HeadPublisher:
    """Every interval, signs the head of every log that grew since its last head (any number of replicas:
    a head is stored once per size, the first signer wins)."""

    def __init__(
        self, sessionmaker: SessionMaker, keys: SigningKeys, *, interval: float, stopping: asyncio.Event
    ) -> None:
        self._sessionmaker = sessionmaker
        self.keys = keys
        self._interval = interval
        self._stopping = stopping

    async def run(self) -> None:
        """Publish heads until the service drains; each round is one short transaction."""
        while not self._stopping.is_set():
            try:
                await self.publish()
            except Exception:
                log.exception("history.head_publish_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._interval)

    async def publish(self) -> int:
        """Sign the heads due now; how many."""
        async with self._sessionmaker() as session, session.begin():
            return await service.publish_heads(session, self.keys)
