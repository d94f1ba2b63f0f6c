"""The loop that emails the staff about Live Chat questions left unanswered, once per wait, with any replicas."""

import asyncio
from collections.abc import Callable

import structlog

from bluemap_notifications.chat.service import alert_unanswered
from bluemap_shared.db import SessionMaker, on_commit, utcnow

log = structlog.get_logger()


class UnansweredAlerts:
    """Claims waiting conversations (FOR UPDATE SKIP LOCKED) and queues one staff email per wait."""

    def __init__(
        self,
        sessionmaker: SessionMaker,
        *,
        staff_email: str,
        minutes: float,
        portal_base_url: str,
        wake_dispatcher: Callable[[], None],
        poll_interval: float,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._staff_email = staff_email
        self._minutes = minutes
        self._portal_base_url = portal_base_url
        self._wake_dispatcher = wake_dispatcher
        self._poll_interval = poll_interval

    async def run(self) -> None:
        """Look for unanswered questions until cancelled: to each tenant's staff address, else the platform's."""
        while True:
            try:
                await self.run_due()
            except Exception:
                log.exception("chat.alerts_failed")
            await asyncio.sleep(self._poll_interval)

    async def run_due(self) -> int:
        """Queue the emails of every conversation waiting too long now; return how many were queued."""
        async with self._sessionmaker() as session, session.begin():
            queued = await alert_unanswered(
                session,
                now=utcnow(),
                minutes=self._minutes,
                staff_email=self._staff_email,
                portal_base_url=self._portal_base_url,
            )
            if queued:
                on_commit(session, self._wake_dispatcher)
        return len(queued)
