"""Review decision queries, always scoped by tenant."""

from collections.abc import Collection, Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.review.models import ReviewDecision


class ReviewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, decision: ReviewDecision) -> None:
        self.session.add(decision)

    async def for_documents(self, tenant_id: str, document_ids: Collection[UUID]) -> dict[UUID, ReviewDecision]:
        if not document_ids:
            return {}
        result = await self.session.exec(
            select(ReviewDecision).where(
                ReviewDecision.tenant_id == tenant_id, col(ReviewDecision.document_id).in_(list(document_ids))
            )
        )
        return {row.document_id: row for row in result.all()}

    async def history(
        self,
        tenant_id: str,
        *,
        enterprise_id: UUID | None,
        document_id: UUID | None,
        submission_id: UUID | None,
        before: UUID | None,
        limit: int,
    ) -> Sequence[ReviewDecision]:
        """Decisions, newest first (uuid7 ids follow decision time)."""
        query = select(ReviewDecision).where(ReviewDecision.tenant_id == tenant_id)
        if enterprise_id is not None:
            query = query.where(ReviewDecision.enterprise_id == enterprise_id)
        if document_id is not None:
            query = query.where(ReviewDecision.document_id == document_id)
        if submission_id is not None:
            query = query.where(ReviewDecision.submission_id == submission_id)
        if before is not None:
            query = query.where(col(ReviewDecision.id) < before)
        result = await self.session.exec(query.order_by(col(ReviewDecision.id).desc()).limit(limit))
        return result.all()
