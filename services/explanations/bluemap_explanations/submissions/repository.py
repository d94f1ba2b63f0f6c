"""Submission queries, always scoped by tenant."""

from collections.abc import Collection, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.submissions.models import Submission, SubmissionItem
from bluemap_explanations.submissions.rules import ItemOutcome


class SubmissionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, submission: Submission, items: Sequence[SubmissionItem]) -> None:
        self.session.add(submission)
        self.session.add_all(items)

    async def get(self, tenant_id: str, submission_id: UUID, *, lock: bool = False) -> Submission | None:
        """One submission; lock holds its row until commit, so changes to it happen one at a time."""
        query = select(Submission).where(Submission.tenant_id == tenant_id, Submission.id == submission_id)
        if lock:
            query = query.with_for_update()
        result = await self.session.exec(query, execution_options={"populate_existing": lock})
        return result.first()

    async def list(
        self,
        tenant_id: str,
        *,
        enterprise_id: UUID | None,
        statuses: Collection[str] | None,
        after: UUID | None,
        limit: int,
    ) -> Sequence[Submission]:
        """Oldest first (ids are time-ordered)."""
        query = select(Submission).where(Submission.tenant_id == tenant_id)
        if enterprise_id is not None:
            query = query.where(Submission.enterprise_id == enterprise_id)
        if statuses is not None:
            query = query.where(col(Submission.status).in_(statuses))
        if after is not None:
            query = query.where(col(Submission.id) > after)
        result = await self.session.exec(query.order_by(col(Submission.id)).limit(limit))
        return result.all()

    async def items(self, tenant_id: str, submission_ids: Collection[UUID]) -> Sequence[SubmissionItem]:
        if not submission_ids:
            return []
        result = await self.session.exec(
            select(SubmissionItem)
            .where(SubmissionItem.tenant_id == tenant_id, col(SubmissionItem.submission_id).in_(submission_ids))
            .order_by(col(SubmissionItem.submission_id), col(SubmissionItem.position))
        )
        return result.all()

    async def decide_item(
        self, tenant_id: str, submission_id: UUID, explanation_id: UUID, outcome: ItemOutcome, decided_at: datetime
    ) -> None:
        await self.session.exec(
            update(SubmissionItem)
            .where(
                col(SubmissionItem.tenant_id) == tenant_id,
                col(SubmissionItem.submission_id) == submission_id,
                col(SubmissionItem.explanation_id) == explanation_id,
            )
            .values(outcome=outcome.value, decided_at=decided_at)
        )

    async def pending_items(self, tenant_id: str, submission_id: UUID) -> int:
        result = await self.session.exec(
            select(func.count())
            .select_from(SubmissionItem)
            .where(
                SubmissionItem.tenant_id == tenant_id,
                SubmissionItem.submission_id == submission_id,
                SubmissionItem.outcome == ItemOutcome.PENDING.value,
            )
        )
        return result.one()
