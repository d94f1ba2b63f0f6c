"""Explanation queries, always scoped by tenant."""

from collections.abc import Collection
from typing import Any
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.explanations.models import Explanation, ExplanationStatus
from bluemap_shared.db import insert_for

_TABLE = Explanation.__table__  # type: ignore[attr-defined]
_EDITABLE = ("violation", "reasons", "corrective_actions", "saved_by", "saved_at")


class ExplanationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, record_id: UUID) -> Explanation | None:
        result = await self.session.exec(
            select(Explanation).where(Explanation.tenant_id == tenant_id, Explanation.record_id == record_id)
        )
        return result.first()

    async def record_ids_with_explanation(self, tenant_id: str, record_ids: Collection[UUID]) -> set[UUID]:
        if not record_ids:
            return set()
        result = await self.session.exec(
            select(Explanation.record_id).where(
                Explanation.tenant_id == tenant_id, col(Explanation.record_id).in_(record_ids)
            )
        )
        return set(result.all())

    async def save_draft(self, values: dict[str, Any]) -> Explanation | None:
        """Create the draft or bump its version, in one statement; None when it is no longer a draft."""
        # One INSERT ... ON CONFLICT DO UPDATE: two concurrent first saves cannot collide on the
        # unique key, and two concurrent edits cannot both read the same version.
        stmt = insert_for(self.session)(Explanation).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["tenant_id", "record_id"],
            set_={**{name: stmt.excluded[name] for name in _EDITABLE}, "version": _TABLE.c.version + 1},
            where=_TABLE.c.status == ExplanationStatus.DRAFT.value,
        )
        result = await self.session.exec(stmt.returning(Explanation), execution_options={"populate_existing": True})
        return result.scalars().first()  # type: ignore[no-any-return]
