"""Queries of the portal's records, always scoped by tenant."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.records.models import PortalRecord
from bluemap_shared.db import upsert


class RecordRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_enterprise(self, tenant_id: str, enterprise_id: UUID) -> Sequence[PortalRecord]:
        """One enterprise's records, newest first."""
        result = await self.session.exec(
            select(PortalRecord)
            .where(PortalRecord.tenant_id == tenant_id, PortalRecord.enterprise_id == enterprise_id)
            .order_by(col(PortalRecord.issued_on).desc(), col(PortalRecord.id).desc())
        )
        return result.all()

    async def upsert(self, values: dict[str, Any]) -> bool:
        """Insert or refresh a record; never across tenants."""

        def same_tenant(table: Any, proposed: Any) -> Any:
            return table.c.tenant_id == proposed.tenant_id

        return await upsert(self.session, PortalRecord, values, only_if=same_tenant)
