"""Review decision queries, always scoped by tenant."""

from collections.abc import Collection, Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.review.models import ReviewDecision


class ReviewDecisionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, decision: ReviewDecision) -> None:
        self.session.add(decision)

    async def of_submissions(self, tenant_id: str, submission_ids: Collection[UUID]) -> Sequence[ReviewDecision]:
        if not submission_ids:
            return []
        result = await self.session.exec(
            select(ReviewDecision)
            .where(ReviewDecision.tenant_id == tenant_id, col(ReviewDecision.submission_id).in_(submission_ids))
            .order_by(col(ReviewDecision.reviewed_at), col(ReviewDecision.id))
        )
        return result.all()

    async def latest(self, tenant_id: str, explanation_ids: Collection[UUID]) -> dict[UUID, ReviewDecision]:
        """The last decision about each explanation that has one."""
        if not explanation_ids:
            return {}
        result = await self.session.exec(
            select(ReviewDecision)
            .where(ReviewDecision.tenant_id == tenant_id, col(ReviewDecision.explanation_id).in_(explanation_ids))
            .order_by(col(ReviewDecision.reviewed_at), col(ReviewDecision.id))
        )
        # Few decisions per explanation (one per sending): the last one read wins.
        return {row.explanation_id: row for row in result.all()}
