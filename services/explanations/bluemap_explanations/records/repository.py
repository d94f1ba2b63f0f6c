"""Read-model queries, always scoped by tenant."""

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.records.models import ExplainableRecord, KnownEnterprise
from bluemap_shared.db import upsert_many


class ExplainableRecordRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, record_id: UUID) -> ExplainableRecord | None:
        """A record not retracted."""
        result = await self.session.exec(
            select(ExplainableRecord).where(
                ExplainableRecord.tenant_id == tenant_id,
                ExplainableRecord.record_id == record_id,
                col(ExplainableRecord.retracted_at).is_(None),
            )
        )
        return result.first()

    async def get_many(self, tenant_id: str, record_ids: Collection[UUID]) -> dict[UUID, ExplainableRecord]:
        """Those of the records not retracted."""
        if not record_ids:
            return {}
        result = await self.session.exec(
            select(ExplainableRecord).where(
                ExplainableRecord.tenant_id == tenant_id,
                col(ExplainableRecord.record_id).in_(record_ids),
                col(ExplainableRecord.retracted_at).is_(None),
            )
        )
        return {row.record_id: row for row in result.all()}

    async def list_explainable(
        self, tenant_id: str, *, enterprise_id: UUID | None, record_type: str | None, after: UUID | None, limit: int
    ) -> Sequence[ExplainableRecord]:
        query = select(ExplainableRecord).where(
            ExplainableRecord.tenant_id == tenant_id,
            col(ExplainableRecord.explainable).is_(True),
            col(ExplainableRecord.retracted_at).is_(None),
        )
        if enterprise_id is not None:
            query = query.where(ExplainableRecord.enterprise_id == enterprise_id)
        if record_type is not None:
            query = query.where(ExplainableRecord.record_type == record_type)
        if after is not None:
            query = query.where(col(ExplainableRecord.record_id) > after)
        result = await self.session.exec(query.order_by(col(ExplainableRecord.record_id)).limit(limit))
        return result.all()

    async def upsert_many(self, rows: Sequence[dict[str, Any]], *, keep: Collection[str] = ()) -> list[UUID]:
        """Insert or overwrite records' rows (distinct ids); the ids written (not those older or another tenant's)."""
        written = await upsert_many(
            self.session,
            ExplainableRecord,
            rows,
            key=("record_id",),
            keep=("tenant_id", *keep),
            # Record ids are global: a colliding id from another tenant must not take the row over;
            # and a replayed older revision must not undo a newer one.
            only_if=lambda table, excluded: (
                (table.c.tenant_id == excluded.tenant_id) & (table.c.revision <= excluded.revision)
            ),
            returning=("record_id",),
        )
        return [record_id for (record_id,) in written]

    async def change_status(
        self,
        tenant_id: str,
        record_id: UUID,
        *,
        status: str,
        reason: str | None,
        changed_at: datetime,
        due_on: date | None,
    ) -> bool:
        """Take a lifecycle change unless a later one is stored already (redeliveries, replays)."""
        values: dict[str, Any] = {"record_status": status, "status_reason": reason, "status_changed_at": changed_at}
        if due_on is not None:
            values["explanation_due_on"] = due_on
        result = await self.session.exec(
            update(ExplainableRecord)
            .where(
                col(ExplainableRecord.tenant_id) == tenant_id,
                col(ExplainableRecord.record_id) == record_id,
                or_(
                    col(ExplainableRecord.status_changed_at).is_(None),
                    col(ExplainableRecord.status_changed_at) <= changed_at,
                ),
            )
            .values(**values)
        )
        return bool(result.rowcount)

    async def retract(self, tenant_id: str, record_id: UUID, retracted_at: datetime) -> bool:
        result = await self.session.exec(
            update(ExplainableRecord)
            .where(
                col(ExplainableRecord.tenant_id) == tenant_id,
                col(ExplainableRecord.record_id) == record_id,
                col(ExplainableRecord.retracted_at).is_(None),
            )
            .values(retracted_at=retracted_at)
        )
        return bool(result.rowcount)


class KnownEnterpriseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, enterprise_id: UUID) -> KnownEnterprise | None:
        result = await self.session.exec(
            select(KnownEnterprise).where(
                KnownEnterprise.tenant_id == tenant_id, KnownEnterprise.enterprise_id == enterprise_id
            )
        )
        return result.first()

    async def upsert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Keep the newest descriptions (distinct ids); older ones and another tenant's leave the rows as they are."""
        await upsert_many(
            self.session,
            KnownEnterprise,
            rows,
            key=("enterprise_id",),
            keep=("tenant_id",),
            # Enterprise and record events travel on different keys, hence partitions: an older
            # description may arrive after a newer one and must not overwrite it.
            only_if=lambda table, excluded: (
                (table.c.tenant_id == excluded.tenant_id) & (table.c.described_at <= excluded.described_at)
            ),
        )
