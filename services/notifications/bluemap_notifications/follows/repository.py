"""Follow queries, always scoped by tenant."""

from collections.abc import Collection, Sequence
from uuid import UUID

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.contacts.models import EnterpriseContact
from bluemap_notifications.follows.models import Follow
from bluemap_shared.db import insert_ignore


class FollowRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_if_new(self, follow: Follow) -> bool:
        inserted: bool = await insert_ignore(
            self.session, Follow, follow.model_dump(), ("tenant_id", "subject", "enterprise_id")
        )
        return inserted

    async def get(self, tenant_id: str, subject: str, enterprise_id: UUID) -> Follow | None:
        result = await self.session.exec(
            select(Follow).where(
                Follow.tenant_id == tenant_id, Follow.subject == subject, Follow.enterprise_id == enterprise_id
            )
        )
        return result.first()

    async def remove(self, tenant_id: str, subject: str, enterprise_id: UUID) -> bool:
        result = await self.session.exec(
            delete(Follow).where(
                col(Follow.tenant_id) == tenant_id,
                col(Follow.subject) == subject,
                col(Follow.enterprise_id) == enterprise_id,
            )
        )
        return bool(result.rowcount)

    async def of_user(self, tenant_id: str, subject: str) -> Sequence[tuple[Follow, EnterpriseContact | None]]:
        """The user's follows, newest first, with what the contacts read model knows of each enterprise."""
        result = await self.session.exec(
            select(Follow, EnterpriseContact)
            .join(
                EnterpriseContact,
                (col(EnterpriseContact.tenant_id) == col(Follow.tenant_id))
                & (col(EnterpriseContact.enterprise_id) == col(Follow.enterprise_id)),
                isouter=True,
            )
            .where(Follow.tenant_id == tenant_id, Follow.subject == subject)
            .order_by(col(Follow.id).desc())
        )
        return result.all()

    async def followers(self, tenant_id: str, enterprise_id: UUID) -> Sequence[Follow]:
        result = await self.session.exec(
            select(Follow)
            .where(Follow.tenant_id == tenant_id, Follow.enterprise_id == enterprise_id)
            .order_by(col(Follow.id))
        )
        return result.all()

    async def followers_of(self, tenant_id: str, enterprise_ids: Collection[UUID]) -> Sequence[Follow]:
        """Everyone following any of the enterprises, in one query."""
        if not enterprise_ids:
            return []
        result = await self.session.exec(
            select(Follow)
            .where(Follow.tenant_id == tenant_id, col(Follow.enterprise_id).in_(list(enterprise_ids)))
            .order_by(col(Follow.id))
        )
        return result.all()

    async def existing(self, tenant_id: str, follow_ids: Collection[UUID]) -> set[UUID]:
        """Which of the follows still exist."""
        if not follow_ids:
            return set()
        result = await self.session.exec(
            select(Follow.id).where(Follow.tenant_id == tenant_id, col(Follow.id).in_(list(follow_ids)))
        )
        return set(result.all())
