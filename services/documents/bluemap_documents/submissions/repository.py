"""Submission queries, scoped by tenant except the public lookup by verification code."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.submissions.models import RenderState, Submission
from bluemap_shared.db import insert_ignore, utcnow


class SubmissionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_if_new(self, values: dict[str, Any]) -> bool:
        """Insert a submission unless its id is known (a replay, or another tenant's id); True when inserted."""
        return await insert_ignore(self.session, Submission, values, ("id",))

    async def get(self, tenant_id: str, submission_id: UUID, *, for_update: bool = False) -> Submission | None:
        query = select(Submission).where(Submission.tenant_id == tenant_id, Submission.id == submission_id)
        if for_update:
            # Serialises uploads of one submission's scan (PostgreSQL; SQLite has one writer anyway).
            query = query.with_for_update()
        result = await self.session.exec(query)
        return result.first()

    async def by_verification_code(self, code: str) -> Submission | None:
        """The public verify page knows only the code; codes are unique across tenants."""
        result = await self.session.exec(select(Submission).where(Submission.verification_code == code))
        return result.first()

    async def due_ids(self, now: datetime, *, exclude: set[UUID], limit: int) -> Sequence[tuple[str, UUID]]:
        """(tenant, id) of submissions waiting for their PDF whose next attempt is due, oldest first."""
        query = (
            select(Submission.tenant_id, Submission.id)
            .where(Submission.render_state == RenderState.PENDING, col(Submission.next_render_at) <= now)
            .order_by(col(Submission.next_render_at), col(Submission.id))
            .limit(limit + len(exclude))
        )
        rows = (await self.session.exec(query)).all()
        return [(tenant, submission_id) for tenant, submission_id in rows if submission_id not in exclude][:limit]

    async def claim_due(self, tenant_id: str, submission_id: UUID, now: datetime, *, lease_seconds: float) -> bool:
        """Take a lease on a due submission (one atomic UPDATE); False when another worker holds it or it is done.

        The lease, not a lock, keeps other workers away while the PDF renders outside any transaction;
        if this worker dies, the lease runs out and another renders it.
        """
        result = await self.session.exec(
            update(Submission)
            .where(
                col(Submission.tenant_id) == tenant_id,
                col(Submission.id) == submission_id,
                col(Submission.render_state) == RenderState.PENDING,
                col(Submission.next_render_at) <= now,
            )
            .values(
                next_render_at=now + timedelta(seconds=lease_seconds),
                render_attempts=col(Submission.render_attempts) + 1,
                updated_at=now,
            )
        )
        return bool(result.rowcount)

    async def record_render_failure(
        self, tenant_id: str, submission_id: UUID, error: str, *, max_attempts: int, backoff_seconds: float
    ) -> int:
        """Schedule the next attempt after a failed one (counted at its claim), or give up; returns the attempts."""
        submission = await self.get(tenant_id, submission_id, for_update=True)
        if submission is None or submission.render_state != RenderState.PENDING:
            return 0
        submission.last_error = error[:10_000]
        now = utcnow()
        submission.updated_at = now
        if submission.render_attempts >= max_attempts:
            submission.render_state = RenderState.FAILED
        else:
            submission.next_render_at = now + timedelta(seconds=backoff_seconds * 2 ** (submission.render_attempts - 1))
        self.session.add(submission)
        await self.session.flush()
        return submission.render_attempts
