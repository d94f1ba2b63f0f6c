"""Enterprise queries, always scoped by tenant."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.enterprises.models import Enterprise


class EnterpriseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, enterprise_id: UUID) -> Enterprise | None:
        result = await self.session.exec(
            select(Enterprise).where(Enterprise.tenant_id == tenant_id, Enterprise.id == enterprise_id)
        )
        return result.first()

    async def get_by_uscc(self, tenant_id: str, uscc: str) -> Enterprise | None:
        result = await self.session.exec(
            select(Enterprise).where(Enterprise.tenant_id == tenant_id, Enterprise.uscc == uscc)
        )
        return result.first()

    async def search(self, tenant_id: str, *, name_contains: str | None, limit: int) -> Sequence[Enterprise]:
        query = select(Enterprise).where(Enterprise.tenant_id == tenant_id)
        if name_contains:
            query = query.where(col(Enterprise.name).contains(name_contains, autoescape=True))
        result = await self.session.exec(query.order_by(col(Enterprise.id)).limit(limit))
        return result.all()

    def add(self, enterprise: Enterprise) -> None:
        self.session.add(enterprise)
