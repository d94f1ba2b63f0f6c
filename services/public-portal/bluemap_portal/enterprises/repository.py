"""Queries of the portal's enterprises, always scoped by tenant."""

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.enterprises.models import PortalEnterprise
from bluemap_shared.db import upsert


class EnterpriseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, enterprise_id: UUID) -> PortalEnterprise | None:
        result = await self.session.exec(
            select(PortalEnterprise).where(
                PortalEnterprise.tenant_id == tenant_id, PortalEnterprise.id == enterprise_id
            )
        )
        return result.first()

    def _matching(self, tenant_id: str, text: str | None, region: str | None) -> list[Any]:
        conditions: list[Any] = [PortalEnterprise.tenant_id == tenant_id]
        if text:
            conditions.append(
                or_(
                    col(PortalEnterprise.name).contains(text, autoescape=True),
                    col(PortalEnterprise.name_en).icontains(text, autoescape=True),
                    col(PortalEnterprise.uscc) == text.upper(),
                )
            )
        if region:
            conditions.append(col(PortalEnterprise.region_code).startswith(region, autoescape=True))
        return conditions

    async def search(
        self, tenant_id: str, *, text: str | None, region: str | None = None, offset: int = 0, limit: int
    ) -> Sequence[PortalEnterprise]:
        """By a substring of the name (Chinese or English) or the exact USCC, and a region code prefix, by name;
        without either, the latest updated first."""
        query = select(PortalEnterprise).where(*self._matching(tenant_id, text, region))
        if text or region:
            query = query.order_by(col(PortalEnterprise.name), col(PortalEnterprise.id))
        else:
            query = query.order_by(col(PortalEnterprise.updated_at).desc(), col(PortalEnterprise.id))
        result = await self.session.exec(query.offset(offset).limit(limit))
        return result.all()

    async def count(self, tenant_id: str, *, text: str | None, region: str | None = None) -> int:
        result = await self.session.exec(
            select(func.count()).select_from(PortalEnterprise).where(*self._matching(tenant_id, text, region))
        )
        return int(result.one())

    async def search_after(
        self,
        tenant_id: str,
        *,
        text: str | None,
        region: str | None,
        after: tuple[str, UUID] | None,
        limit: int,
    ) -> Sequence[PortalEnterprise]:
        """The next limit matches by (name, id) after the given key: an export reads any number this way."""
        query = select(PortalEnterprise).where(*self._matching(tenant_id, text, region))
        if after is not None:
            name, enterprise_id = after
            query = query.where(
                or_(
                    col(PortalEnterprise.name) > name,
                    and_(col(PortalEnterprise.name) == name, col(PortalEnterprise.id) > enterprise_id),
                )
            )
        result = await self.session.exec(
            query.order_by(col(PortalEnterprise.name), col(PortalEnterprise.id)).limit(limit)
        )
        return result.all()

    async def region_codes(self, tenant_id: str) -> list[str]:
        """The distinct region codes of the tenant's enterprises."""
        result = await self.session.exec(
            select(PortalEnterprise.region_code)
            .where(PortalEnterprise.tenant_id == tenant_id, col(PortalEnterprise.region_code).is_not(None))
            .distinct()
        )
        return [code for code in result.all() if code]

    async def upsert(self, values: dict[str, Any]) -> bool:
        """Take the row unless the stored one comes from a later event (events may arrive out of order)."""

        def newer_of_same_tenant(table: Any, proposed: Any) -> Any:
            return (table.c.tenant_id == proposed.tenant_id) & (table.c.updated_at <= proposed.updated_at)

        return await upsert(self.session, PortalEnterprise, values, only_if=newer_of_same_tenant)

    async def get_many(self, tenant_id: str, enterprise_ids: Collection[UUID]) -> Sequence[PortalEnterprise]:
        if not enterprise_ids:
            return []
        result = await self.session.exec(
            select(PortalEnterprise).where(
                PortalEnterprise.tenant_id == tenant_id, col(PortalEnterprise.id).in_(enterprise_ids)
            )
        )
        return result.all()
