"""Explanation queries, always scoped by tenant."""

from collections.abc import Collection, Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.explanations.models import Explanation, ExplanationStatus, KnownDocument
from bluemap_shared.db import insert_for, insert_ignore

_TABLE = Explanation.__table__  # type: ignore[attr-defined]
_EDITABLE = ("violation", "reasons", "corrective_actions", "monitoring", "document_id", "saved_by", "saved_at")


class ExplanationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, record_id: UUID) -> Explanation | None:
        result = await self.session.exec(
            select(Explanation).where(Explanation.tenant_id == tenant_id, Explanation.record_id == record_id)
        )
        return result.first()

    async def get_by_id(self, tenant_id: str, explanation_id: UUID, *, fresh: bool = False) -> Explanation | None:
        """One explanation; fresh re-reads a row this session already holds."""
        result = await self.session.exec(
            select(Explanation).where(Explanation.tenant_id == tenant_id, Explanation.id == explanation_id),
            execution_options={"populate_existing": fresh},
        )
        return result.first()

    async def by_records(self, tenant_id: str, record_ids: Collection[UUID]) -> dict[UUID, Explanation]:
        if not record_ids:
            return {}
        result = await self.session.exec(
            select(Explanation).where(Explanation.tenant_id == tenant_id, col(Explanation.record_id).in_(record_ids))
        )
        return {row.record_id: row for row in result.all()}

    async def by_ids(self, tenant_id: str, ids: Collection[UUID]) -> dict[UUID, Explanation]:
        if not ids:
            return {}
        result = await self.session.exec(
            select(Explanation).where(Explanation.tenant_id == tenant_id, col(Explanation.id).in_(ids))
        )
        return {row.id: row for row in result.all()}

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

    async def claim_for_submission(self, tenant_id: str, versions: Mapping[UUID, int], submission_id: UUID) -> int:
        """Mark drafts submitted, each only if still the draft version that was checked; how many were."""
        # A concurrent send or save changes the status or version first, and this matches fewer rows.
        stmt = (
            update(Explanation)
            .where(
                col(Explanation.tenant_id) == tenant_id,
                col(Explanation.status) == ExplanationStatus.DRAFT.value,
                or_(*(and_(col(Explanation.id) == id_, col(Explanation.version) == v) for id_, v in versions.items())),
            )
            .values(status=ExplanationStatus.SUBMITTED.value, submission_id=submission_id)
        )
        return (await self.session.exec(stmt)).rowcount

    async def move(
        self,
        tenant_id: str,
        explanation_id: UUID,
        *,
        sources: Collection[ExplanationStatus],
        target: ExplanationStatus,
        values: Mapping[str, Any] | None = None,
    ) -> bool:
        """Change one explanation's status if it is still in one of sources; False when it was not."""
        stmt = (
            update(Explanation)
            .where(
                col(Explanation.tenant_id) == tenant_id,
                col(Explanation.id) == explanation_id,
                col(Explanation.status).in_([s.value for s in sources]),
            )
            .values(status=target.value, **(values or {}))
        )
        return bool((await self.session.exec(stmt)).rowcount)

    async def move_submitted(
        self,
        tenant_id: str,
        submission_id: UUID,
        *,
        sources: Collection[ExplanationStatus],
        target: ExplanationStatus,
        values: Mapping[str, Any] | None = None,
    ) -> int:
        """Change the status of a submission's explanations still in one of sources; how many changed."""
        stmt = (
            update(Explanation)
            .where(
                col(Explanation.tenant_id) == tenant_id,
                col(Explanation.submission_id) == submission_id,
                col(Explanation.status).in_([s.value for s in sources]),
            )
            .values(status=target.value, **(values or {}))
        )
        return (await self.session.exec(stmt)).rowcount


class KnownDocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, tenant_id: str, document_id: UUID, enterprise_id: UUID | None) -> None:
        """Remember a stored document; a redelivered event changes nothing (a document never changes owner)."""
        await insert_ignore(
            self.session,
            KnownDocument,
            {"tenant_id": tenant_id, "document_id": document_id, "enterprise_id": enterprise_id},
            ("tenant_id", "document_id"),
        )

    async def owners(self, tenant_id: str, document_ids: Collection[UUID]) -> dict[UUID, UUID | None]:
        """The enterprise of each known document of the tenant; unknown ids are absent."""
        if not document_ids:
            return {}
        result = await self.session.exec(
            select(KnownDocument).where(
                KnownDocument.tenant_id == tenant_id, col(KnownDocument.document_id).in_(list(document_ids))
            )
        )
        return {row.document_id: row.enterprise_id for row in result.all()}
