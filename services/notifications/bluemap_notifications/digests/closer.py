"""The loop that closes quiet digest windows into emails, once each, with any number of replicas."""

import asyncio
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from uuid import UUID

import structlog

from bluemap_notifications.digests import service
from bluemap_notifications.digests.repository import DigestRepository
from bluemap_shared.db import SessionMaker, on_commit, utcnow
from bluemap_shared.failpoints import failpoint

log = structlog.get_logger()


class DigestCloser:
    """Claims windows that went quiet or ran their longest (FOR UPDATE SKIP LOCKED) and emails each once.

    A window is closed in the transaction that queues its email; the email's unique (tenant,
    purpose, cause = the window's first event) key backs that up. A crash before the commit
    leaves the window open with its items unclaimed, and the next run closes it again.
    """

    def __init__(
        self,
        sessionmaker: SessionMaker,
        *,
        portal_base_url: str,
        wake_dispatcher: Callable[[], None],
        quiet_seconds: float = 60.0,
        max_window_seconds: float = 600.0,
        poll_interval: float = 5.0,
        batch_size: int = 50,
        max_listed: int = 100,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._portal_base_url = portal_base_url
        self._wake_dispatcher = wake_dispatcher
        self._quiet = timedelta(seconds=quiet_seconds)
        self._max_window = timedelta(seconds=max_window_seconds)
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._max_listed = max_listed
        # Windows that failed to close alone: tried again by each batch, passed over one by one.
        self._failed: set[UUID] = set()

    async def run(self) -> None:
        """Close due windows until cancelled."""
        while True:
            try:
                closed = await self.close_due()
            except Exception:
                log.exception("digest.close_failed")
                closed = 0
            if closed < self._batch_size:
                await asyncio.sleep(self._poll_interval)

    async def close_due(self) -> int:
        """Close up to batch_size due windows in one transaction; how many were closed.

        When that transaction fails, the windows are closed one per transaction instead, so one
        window that cannot be closed holds back no other.
        """
        now = utcnow()
        try:
            return await self._close(now, limit=self._batch_size)
        except Exception:
            if self._batch_size == 1:
                raise
            log.exception("digest.batch_close_failed")
        closed = 0
        for _ in range(self._batch_size):
            claimed: list[UUID] = []
            try:
                just_closed = await self._close(now, limit=1, skip=self._failed, claimed=claimed)
            except Exception:
                log.exception("digest.close_failed", digest_ids=[str(i) for i in claimed])
                self._failed.update(claimed)
                continue
            if not just_closed:
                break
            closed += just_closed
        return closed

    async def _close(
        self, now: datetime, *, limit: int, skip: Collection[UUID] = (), claimed: list[UUID] | None = None
    ) -> int:
        async with self._sessionmaker() as session, session.begin():
            digests = await DigestRepository(session).claim_due(
                quiet_before=now - self._quiet, opened_before=now - self._max_window, limit=limit, skip=skip
            )
            if not digests:
                return 0
            if claimed is not None:
                claimed += [digest.id for digest in digests]
            emails = await service.close(
                session, digests, now=now, portal_base_url=self._portal_base_url, max_listed=self._max_listed
            )
            await failpoint("digest.before_close_commit")
            if emails:
                on_commit(session, self._wake_dispatcher)
        log.info("digest.windows_closed", windows=len(digests), emails=len(emails))
        return len(digests)
