"""User queries, scoped by tenant."""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.identity.models import User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_email(self, tenant_id: str, email: str) -> User | None:
        result = await self.session.exec(select(User).where(User.tenant_id == tenant_id, User.email == email.lower()))
        return result.first()

    def add(self, user: User) -> None:
        self.session.add(user)
