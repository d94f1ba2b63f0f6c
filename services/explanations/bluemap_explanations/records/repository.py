"""Read-model queries, always scoped by tenant."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.records.models import ExplainableRecord
from bluemap_shared.db import upsert


class ExplainableRecordRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, record_id: UUID) -> ExplainableRecord | None:
        result = await self.session.exec(
            select(ExplainableRecord).where(
                ExplainableRecord.tenant_id == tenant_id, ExplainableRecord.record_id == record_id
            )
        )
        return result.first()

    async def list_explainable(
        self, tenant_id: str, *, enterprise_id: UUID | None, record_type: str | None, after: UUID | None, limit: int
    ) -> Sequence[ExplainableRecord]:
        query = select(ExplainableRecord).where(
            ExplainableRecord.tenant_id == tenant_id, col(ExplainableRecord.explainable).is_(True)
        )
        if enterprise_id is not None:
            query = query.where(ExplainableRecord.enterprise_id == enterprise_id)
        if record_type is not None:
            query = query.where(ExplainableRecord.record_type == record_type)
        if after is not None:
            query = query.where(col(ExplainableRecord.record_id) > after)
        result = await self.session.exec(query.order_by(col(ExplainableRecord.record_id)).limit(limit))
        return result.all()

    async def upsert(self, values: dict[str, Any]) -> bool:
        """Insert or overwrite one record's row; False (nothing written) when another tenant owns the id."""
        return await upsert(
            self.session,
            ExplainableRecord,
            values,
            key=("record_id",),
            keep=("tenant_id",),
            # Record ids are global; a colliding id from another tenant must not take the row over.
            only_if=lambda table, excluded: table.c.tenant_id == excluded.tenant_id,
        )
