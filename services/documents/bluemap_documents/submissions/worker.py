"""The render loop: turns received submissions into PDFs, a few at a time, retrying with backoff."""

import asyncio
import contextlib
import time
from uuid import UUID

import structlog
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import Histogram

from bluemap_documents.documents.service import store_generated_pdf
from bluemap_documents.settings import DocumentsSettings
from bluemap_documents.submissions import service
from bluemap_documents.submissions.rendering import PdfRenderer
from bluemap_documents.submissions.repository import SubmissionRepository
from bluemap_shared.db import SessionMaker, utcnow
from bluemap_shared.storage import ObjectStorage
from bluemap_shared.tracing import continued, untraced

log = structlog.get_logger()


class RenderWorker:
    """Renders due submissions; safe in many replicas: each render holds a lease on its submission."""

    def __init__(
        self,
        sessionmaker: SessionMaker,
        storage: ObjectStorage,
        settings: DocumentsSettings,
        renderer: PdfRenderer,
        *,
        render_time: Histogram | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._render_time = render_time
        self._storage = storage
        self._settings = settings
        self._renderer = renderer
        self._wakeup = asyncio.Event()
        self._tracer_provider = tracer_provider or untraced()
        # Spares this process a claim it would lose anyway while its own render is under way.
        self._in_flight: set[UUID] = set()

    def wake(self) -> None:
        """Render now rather than at the next poll (called after a submission commits)."""
        self._wakeup.set()

    async def run(self) -> None:
        """Render until cancelled."""
        self._renderer.open()
        try:
            while True:
                if not await self.render_due():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wakeup.wait(), self._settings.render_poll_interval)
                    self._wakeup.clear()
        finally:
            self._renderer.close()

    async def render_due(self) -> int:
        """Render the submissions due now, a few batches of render_concurrency at most; returns how many it claimed."""
        async with self._sessionmaker() as session:
            due = await SubmissionRepository(session).due_ids(
                utcnow(), exclude=set(self._in_flight), limit=self._renderer.concurrency * 4
            )
        claimed = await asyncio.gather(
            *(self._render_one(tenant_id, submission_id) for tenant_id, submission_id in due)
        )
        # Rows another replica holds count as nothing: polling again at once would spin.
        return sum(claimed)

    async def _render_one(self, tenant_id: str, submission_id: UUID) -> bool:
        if submission_id in self._in_flight:
            return False
        self._in_flight.add(submission_id)
        try:
            async with self._sessionmaker() as session, session.begin():
                claimed = await SubmissionRepository(session).claim_due(
                    tenant_id, submission_id, utcnow(), lease_seconds=self._settings.render_lease_seconds
                )
            if not claimed:
                return False
            # Rendered outside any transaction: no connection held, no lock, no stale SQLite snapshot.
            async with self._sessionmaker() as session:
                submission = await SubmissionRepository(session).get(tenant_id, submission_id)
            if submission is None:
                return False
            with continued(self._tracer_provider, "render pdf", submission.traceparent):
                started = time.perf_counter()
                rendered = await service.render_pdf(self._renderer, self._settings, submission)
                digest, key = await store_generated_pdf(self._storage, tenant_id, rendered.pdf.data)
                if self._render_time is not None:
                    self._render_time.observe(time.perf_counter() - started)
                async with self._sessionmaker() as session, session.begin():
                    await service.record_rendering(
                        session, self._settings, tenant_id, submission_id, rendered, digest, key
                    )
            return True
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("submissions.render_failed", submission_id=str(submission_id), tenant_id=tenant_id)
            async with self._sessionmaker() as session, session.begin():
                attempts = await SubmissionRepository(session).record_render_failure(
                    tenant_id,
                    submission_id,
                    repr(exc),
                    max_attempts=self._settings.render_max_attempts,
                    backoff_seconds=self._settings.render_backoff_seconds,
                )
            if attempts >= self._settings.render_max_attempts:
                log.error("submissions.render_gave_up", submission_id=str(submission_id), attempts=attempts)
            return True
        finally:
            self._in_flight.discard(submission_id)
