"""Read-model queries, always scoped by tenant."""

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.directory.models import KnownEnterprise, KnownRecord
from bluemap_shared.db import insert_ignore, upsert


def _same_tenant(table: Any, excluded: Any) -> Any:
    # Ids are global; a colliding id from another tenant must not take the row over.
    return table.c.tenant_id == excluded.tenant_id


class DirectoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_enterprise(self, values: dict[str, Any]) -> bool:
        return await upsert(
            self.session, KnownEnterprise, values, key=("enterprise_id",), keep=("tenant_id",), only_if=_same_tenant
        )

    async def upsert_record(self, values: dict[str, Any], *, only_if_missing: bool = False) -> bool:
        """Insert or overwrite a record; only_if_missing leaves a row the records service already described."""
        if only_if_missing:
            return await insert_ignore(self.session, KnownRecord, values, ("record_id",))
        return await upsert(
            self.session, KnownRecord, values, key=("record_id",), keep=("tenant_id", "retracted"), only_if=_same_tenant
        )

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
