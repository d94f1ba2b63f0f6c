"""Contact queries, always scoped by tenant."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.contacts.models import EnterpriseContact
from bluemap_shared.db import upsert_many


class ContactRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, enterprise_id: UUID) -> EnterpriseContact | None:
        result = await self.session.exec(
            select(EnterpriseContact).where(
                EnterpriseContact.tenant_id == tenant_id, EnterpriseContact.enterprise_id == enterprise_id
            )
        )
        return result.first()

    async def upsert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Take each row (distinct keys, the same columns) unless the stored one comes from a later event
        (events may arrive out of order)."""

        def not_older(table: Any, proposed: Any) -> Any:
            return table.c.as_of <= proposed.as_of

        await upsert_many(self.session, EnterpriseContact, rows, key=("tenant_id", "enterprise_id"), only_if=not_older)
