"""Queries of the portal's enterprises, always scoped by tenant."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import or_
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

    async def search(self, tenant_id: str, *, text: str | None, limit: int) -> Sequence[PortalEnterprise]:
        """By a substring of the name (Chinese or English) or the exact USCC; without text, the latest."""
        query = select(PortalEnterprise).where(PortalEnterprise.tenant_id == tenant_id)
        if text:
            query = query.where(
                or_(
                    col(PortalEnterprise.name).contains(text, autoescape=True),
                    col(PortalEnterprise.name_en).icontains(text, autoescape=True),
                    col(PortalEnterprise.uscc) == text.upper(),
                )
            ).order_by(col(PortalEnterprise.name), col(PortalEnterprise.id))
        else:
            query = query.order_by(col(PortalEnterprise.updated_at).desc(), col(PortalEnterprise.id))
        result = await self.session.exec(query.limit(limit))
        return result.all()

    async def upsert(self, values: dict[str, Any]) -> bool:
        """Take the row unless the stored one comes from a later event (events may arrive out of order)."""

        def newer_of_same_tenant(table: Any, proposed: Any) -> Any:
            return (table.c.tenant_id == proposed.tenant_id) & (table.c.updated_at <= proposed.updated_at)

        return await upsert(self.session, PortalEnterprise, values, only_if=newer_of_same_tenant)
