"""Queries of the portal's records, always scoped by tenant; retracted records are never returned."""

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bluemap_portal.enterprises.models import PortalEnterprise
from bluemap_portal.records.models import PortalRecord
from bluemap_portal.records.schemas import RecordFilter
from bluemap_shared.db import upsert_many

# Lifecycle columns only lifecycle events change; content events leave them alone.
LIFECYCLE = ("status", "status_changed_at", "retracted_at")
AWAITING_EXPLANATION = "awaiting_explanation"
UNDER_REVIEW_STATUSES = ("explanation_submitted", "under_review")
# What an upsert tells of each row it wrote: what the pages showing the record are found by.
WRITTEN = ("enterprise_id", "record_type")


def status_condition(status: str, today: date) -> Any:
    """Records the public sees in status (see records.service.display_status): overdue is computed from today."""
    due = col(PortalRecord.explanation_due_on)
    awaiting = col(PortalRecord.status) == AWAITING_EXPLANATION
    if status == "overdue":
        return and_(awaiting, due.is_not(None), due < today)
    if status == AWAITING_EXPLANATION:
        return and_(awaiting, or_(due.is_(None), due >= today))
    if status == "under_review":
        return col(PortalRecord.status).in_(UNDER_REVIEW_STATUSES)
    return col(PortalRecord.status) == status


def enterprises_in_region(tenant_id: str, region: str) -> Any:
    """The ids of the tenant's enterprises whose region code starts with the prefix (a subquery)."""
    return select(PortalEnterprise.id).where(
        PortalEnterprise.tenant_id == tenant_id, col(PortalEnterprise.region_code).startswith(region, autoescape=True)
    )


class RecordRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _public(self, tenant_id: str) -> SelectOfScalar[PortalRecord]:
        return select(PortalRecord).where(PortalRecord.tenant_id == tenant_id, col(PortalRecord.retracted_at).is_(None))

    async def of_enterprise(self, tenant_id: str, enterprise_id: UUID) -> Sequence[PortalRecord]:
        """One enterprise's public records, newest first."""
        result = await self.session.exec(
            self._public(tenant_id)
            .where(PortalRecord.enterprise_id == enterprise_id)
            .order_by(col(PortalRecord.issued_on).desc(), col(PortalRecord.id).desc())
        )
        return result.all()

    def _filtered(self, tenant_id: str, record_type: str, where: RecordFilter, today: date) -> list[Any]:
        conditions: list[Any] = [
            col(PortalRecord.tenant_id) == tenant_id,
            col(PortalRecord.retracted_at).is_(None),
            col(PortalRecord.record_type) == record_type,
        ]
        if where.region:
            conditions.append(col(PortalRecord.enterprise_id).in_(enterprises_in_region(tenant_id, where.region)))
        if where.year is not None:
            conditions.append(col(PortalRecord.year) == where.year)
        if where.status:
            conditions.append(status_condition(where.status, today))
        return conditions

    async def of_type(
        self,
        tenant_id: str,
        record_type: str,
        *,
        where: RecordFilter | None = None,
        today: date,
        offset: int,
        limit: int,
    ) -> Sequence[PortalRecord]:
        """One type's public records across enterprises, newest first."""
        result = await self.session.exec(
            select(PortalRecord)
            .where(*self._filtered(tenant_id, record_type, where or RecordFilter(), today))
            .order_by(col(PortalRecord.issued_on).desc(), col(PortalRecord.id).desc())
            .offset(offset)
            .limit(limit)
        )
        return result.all()

    async def count_of_type(self, tenant_id: str, record_type: str, *, where: RecordFilter, today: date) -> int:
        result = await self.session.exec(
            select(func.count()).select_from(PortalRecord).where(*self._filtered(tenant_id, record_type, where, today))
        )
        return int(result.one())

    async def years_of_type(self, tenant_id: str, record_type: str) -> list[int]:
        """The years a type's public records are of, newest first."""
        result = await self.session.exec(
            select(PortalRecord.year)
            .where(
                PortalRecord.tenant_id == tenant_id,
                PortalRecord.record_type == record_type,
                col(PortalRecord.retracted_at).is_(None),
            )
            .distinct()
            .order_by(col(PortalRecord.year).desc())
        )
        return list(result.all())

    async def latest(
        self, tenant_id: str, *, record_type: str | None = None, enterprise_id: UUID | None = None, limit: int
    ) -> Sequence[PortalRecord]:
        """The most recently published public records, of a type or of an enterprise (feeds)."""
        query = self._public(tenant_id)
        if record_type is not None:
            query = query.where(PortalRecord.record_type == record_type)
        if enterprise_id is not None:
            query = query.where(PortalRecord.enterprise_id == enterprise_id)
        result = await self.session.exec(
            query.order_by(col(PortalRecord.published_at).desc(), col(PortalRecord.id).desc()).limit(limit)
        )
        return result.all()

    async def of_enterprises(self, tenant_id: str, enterprise_ids: Collection[UUID]) -> Sequence[PortalRecord]:
        """Several enterprises' public records, each enterprise's newest first."""
        if not enterprise_ids:
            return []
        result = await self.session.exec(
            self._public(tenant_id)
            .where(col(PortalRecord.enterprise_id).in_(enterprise_ids))
            .order_by(col(PortalRecord.issued_on).desc(), col(PortalRecord.id).desc())
        )
        return result.all()

    async def count_by_enterprise(self, tenant_id: str, enterprise_ids: Collection[UUID]) -> dict[UUID, int]:
        """How many public records each enterprise has."""
        if not enterprise_ids:
            return {}
        result = await self.session.exec(
            select(PortalRecord.enterprise_id, func.count())
            .where(
                PortalRecord.tenant_id == tenant_id,
                col(PortalRecord.retracted_at).is_(None),
                col(PortalRecord.enterprise_id).in_(enterprise_ids),
            )
            .group_by(col(PortalRecord.enterprise_id))
        )
        return {enterprise_id: int(count) for enterprise_id, count in result.all()}

    async def get_many(self, tenant_id: str, record_ids: Collection[UUID]) -> Sequence[PortalRecord]:
        if not record_ids:
            return []
        result = await self.session.exec(self._public(tenant_id).where(col(PortalRecord.id).in_(record_ids)))
        return result.all()

    async def upsert_published(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        """Insert or refresh published records (distinct ids); never across tenants, never over a later
        revision. The (enterprise_id, record_type) of each row written."""

        def same_tenant_not_updated(table: Any, proposed: Any) -> Any:
            return (table.c.tenant_id == proposed.tenant_id) & (table.c.revision == 0)

        return await upsert_many(
            self.session,
            PortalRecord,
            rows,
            keep=(*LIFECYCLE, "revision"),
            only_if=same_tenant_not_updated,
            returning=WRITTEN,
        )

    async def upsert_updated(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        """Take content revisions (distinct ids) unless a later one is stored; never across tenants.
        The (enterprise_id, record_type) of each row written."""

        def same_tenant_later_revision(table: Any, proposed: Any) -> Any:
            return (table.c.tenant_id == proposed.tenant_id) & (table.c.revision < proposed.revision)

        return await upsert_many(
            self.session,
            PortalRecord,
            rows,
            keep=(*LIFECYCLE, "published_at"),
            only_if=same_tenant_later_revision,
            returning=WRITTEN,
        )

    async def retract(self, tenant_id: str, record_id: UUID, retracted_at: datetime) -> None:
        await self.session.exec(
            update(PortalRecord)
            .where(
                col(PortalRecord.tenant_id) == tenant_id,
                col(PortalRecord.id) == record_id,
                col(PortalRecord.retracted_at).is_(None),
            )
            .values(retracted_at=retracted_at)
        )

    async def change_status(
        self,
        tenant_id: str,
        record_id: UUID,
        status: str,
        changed_at: datetime,
        *,
        reason: str | None = None,
        due_on: date | None = None,
    ) -> None:
        """Set the status (its reason, the new deadline) unless a later change is stored already (replays)."""
        values: dict[str, Any] = {"status": status, "status_changed_at": changed_at, "status_reason": reason}
        if due_on is not None:
            values["explanation_due_on"] = due_on
        await self.session.exec(
            update(PortalRecord)
            .where(
                col(PortalRecord.tenant_id) == tenant_id,
                col(PortalRecord.id) == record_id,
                or_(col(PortalRecord.status_changed_at).is_(None), col(PortalRecord.status_changed_at) <= changed_at),
            )
            .values(**values)
        )
