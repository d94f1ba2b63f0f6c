"""Tenant registry queries (the registry spans tenants: only the platform operator's use cases list it)."""

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.tenants.models import Tenant


class TenantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, *, for_update: bool = False) -> Tenant | None:
        stmt = select(Tenant).where(Tenant.id == tenant_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.exec(stmt)).first()

    async def all(self) -> Sequence[Tenant]:
        return (await self.session.exec(select(Tenant).order_by(col(Tenant.id)))).all()

    def add(self, tenant: Tenant) -> None:
        self.session.add(tenant)
