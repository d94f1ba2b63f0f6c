"""Read-model queries, always scoped by tenant."""

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.directory.models import KnownEnterprise, KnownRecord
from bluemap_shared.db import insert_ignore, upsert_many


def _same_tenant(table: Any, excluded: Any) -> Any:
    # Ids are global; a colliding id from another tenant must not take the row over.
    return table.c.tenant_id == excluded.tenant_id


class DirectoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_enterprises(self, rows: Sequence[dict[str, Any]]) -> list[UUID]:
        """Insert or overwrite enterprises (distinct ids); the ids written (not those of another tenant)."""
        written = await upsert_many(
            self.session,
            KnownEnterprise,
            rows,
            key=("enterprise_id",),
            keep=("tenant_id",),
            only_if=_same_tenant,
            returning=("enterprise_id",),
        )
        return [enterprise_id for (enterprise_id,) in written]

    async def upsert_records(self, rows: Sequence[dict[str, Any]]) -> list[UUID]:
        """Insert or overwrite records (distinct ids); the ids written (not those of another tenant)."""
        written = await upsert_many(
            self.session,
            KnownRecord,
            rows,
            key=("record_id",),
            keep=("tenant_id", "retracted"),
            only_if=_same_tenant,
            returning=("record_id",),
        )
        return [record_id for (record_id,) in written]

    async def insert_record_if_missing(self, values: dict[str, Any]) -> bool:
        """Insert a record unless one is known: the records service's description stands."""
        return await insert_ignore(self.session, KnownRecord, values, ("record_id",))

    async def mark_retracted(self, tenant_id: str, record_id: UUID) -> None:
        await self.session.exec(
            update(KnownRecord)
            .where(col(KnownRecord.tenant_id) == tenant_id, col(KnownRecord.record_id) == record_id)
            .values(retracted=True)
        )

    async def get_enterprise(self, tenant_id: str, enterprise_id: UUID) -> KnownEnterprise | None:
        result = await self.session.exec(
            select(KnownEnterprise).where(
                KnownEnterprise.tenant_id == tenant_id, KnownEnterprise.enterprise_id == enterprise_id
            )
        )
        return result.first()

    async def enterprises(self, tenant_id: str, enterprise_ids: Collection[UUID]) -> dict[UUID, KnownEnterprise]:
        if not enterprise_ids:
            return {}
        result = await self.session.exec(
            select(KnownEnterprise).where(
                KnownEnterprise.tenant_id == tenant_id, col(KnownEnterprise.enterprise_id).in_(list(enterprise_ids))
            )
        )
        return {row.enterprise_id: row for row in result.all()}

    async def records(self, tenant_id: str, record_ids: Collection[UUID]) -> Sequence[KnownRecord]:
        if not record_ids:
            return []
        result = await self.session.exec(
            select(KnownRecord).where(
                KnownRecord.tenant_id == tenant_id, col(KnownRecord.record_id).in_(list(record_ids))
            )
        )
        return result.all()
