"""Queries of the portal's explanations, always scoped by tenant."""

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.explanations.models import PortalExplanation
from bluemap_shared.db import upsert


class ExplanationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_enterprise(self, tenant_id: str, enterprise_id: UUID) -> Sequence[PortalExplanation]:
        """One enterprise's explanations, newest first."""
        result = await self.session.exec(
            select(PortalExplanation)
            .where(PortalExplanation.tenant_id == tenant_id, PortalExplanation.enterprise_id == enterprise_id)
            .order_by(col(PortalExplanation.published_at).desc(), col(PortalExplanation.id).desc())
        )
        return result.all()

    async def get_many(self, tenant_id: str, ids: Collection[UUID]) -> Sequence[PortalExplanation]:
        if not ids:
            return []
        result = await self.session.exec(
            select(PortalExplanation).where(
                PortalExplanation.tenant_id == tenant_id, col(PortalExplanation.id).in_(ids)
            )
        )
        return result.all()

    async def upsert(self, values: dict[str, Any]) -> bool:
        """Take an explanation unless a later publication of it is stored; never across tenants."""

        def same_tenant_not_older(table: Any, proposed: Any) -> Any:
            return (table.c.tenant_id == proposed.tenant_id) & (table.c.published_at <= proposed.published_at)

        return await upsert(self.session, PortalExplanation, values, only_if=same_tenant_not_older)
