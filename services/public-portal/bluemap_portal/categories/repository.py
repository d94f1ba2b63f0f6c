"""The Enterprise Feedback query: explanations and documents together, newest first, scoped by tenant."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import String, and_, func, literal, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.documents.models import PortalDocument
from bluemap_portal.explanations.models import PortalExplanation
from bluemap_portal.records.models import PortalRecord
from bluemap_portal.records.repository import enterprises_in_region


@dataclass(frozen=True)
class FeedbackFilter:
    """Feedback of one enterprise, of a region (code prefix), published in [since, until)."""

    enterprise_id: UUID | None = None
    region: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class FeedbackRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _feedback(self, tenant_id: str, where: FeedbackFilter) -> Any:
        """(kind, id, published_at) of published explanations and documents; a retracted record takes its
        explanations with it."""
        explanation_filter: list[Any] = [
            col(PortalExplanation.tenant_id) == tenant_id,
            col(PortalRecord.retracted_at).is_(None),
        ]
        document_filter: list[Any] = [col(PortalDocument.tenant_id) == tenant_id]
        for model, conditions in ((PortalExplanation, explanation_filter), (PortalDocument, document_filter)):
            owner: Any = model.enterprise_id  # type: ignore[attr-defined]
            published: Any = model.published_at  # type: ignore[attr-defined]
            if where.enterprise_id is not None:
                conditions.append(owner == where.enterprise_id)
            if where.region:
                conditions.append(owner.in_(enterprises_in_region(tenant_id, where.region)))
            if where.since is not None:
                conditions.append(published >= where.since)
            if where.until is not None:
                conditions.append(published < where.until)
        # sqlmodel's select() of labelled columns has no type mypy can infer.
        explanations: Any = (
            select(
                literal("explanation", String).label("kind"),
                col(PortalExplanation.id).label("id"),
                col(PortalExplanation.published_at).label("published_at"),
            )
            .join(
                PortalRecord,
                and_(
                    col(PortalRecord.tenant_id) == col(PortalExplanation.tenant_id),
                    col(PortalRecord.id) == col(PortalExplanation.record_id),
                ),
            )
            .where(*explanation_filter)
        )
        documents: Any = select(
            literal("document", String).label("kind"),
            col(PortalDocument.id).label("id"),
            col(PortalDocument.published_at).label("published_at"),
        ).where(*document_filter)
        return union_all(explanations, documents).subquery()

    async def page(
        self, tenant_id: str, *, where: FeedbackFilter | None = None, offset: int, limit: int
    ) -> Sequence[tuple[str, UUID, datetime]]:
        """One page of feedback, newest first."""
        feedback = self._feedback(tenant_id, where or FeedbackFilter())
        result = await self.session.exec(
            select(feedback.c.kind, feedback.c.id, feedback.c.published_at)
            .order_by(feedback.c.published_at.desc(), feedback.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [(str(kind), _uuid(id_), published_at) for kind, id_, published_at in result.all()]

    async def count(self, tenant_id: str, *, where: FeedbackFilter) -> int:
        feedback = self._feedback(tenant_id, where)
        result = await self.session.exec(select(func.count()).select_from(feedback))
        return int(result.one())

    async def published_range(self, tenant_id: str) -> tuple[datetime | None, datetime | None]:
        """When the first and the latest feedback were published."""
        feedback = self._feedback(tenant_id, FeedbackFilter())
        result = await self.session.exec(select(func.min(feedback.c.published_at), func.max(feedback.c.published_at)))
        first, last = result.one()
        return _aware(first), _aware(last)


def _uuid(value: Any) -> UUID:
    # Through a UNION, SQLite may hand back the stored hex rather than a UUID.
    return value if isinstance(value, UUID) else UUID(str(value))


def _aware(value: Any) -> datetime | None:
    # Through an aggregate SQLite hands back text, without the column's type to convert it.
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
