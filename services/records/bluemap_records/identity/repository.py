"""User queries, scoped by tenant."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.identity.models import LoginFailures, User
from bluemap_shared.db import insert_for


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_email(self, tenant_id: str, email: str) -> User | None:
        result = await self.session.exec(select(User).where(User.tenant_id == tenant_id, User.email == email.lower()))
        return result.first()

    def add(self, user: User) -> None:
        self.session.add(user)


class LoginFailuresRepository:
    """Failed logins by throttle key; an address key spans tenants, an account key holds its tenant."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def blocked_until(self, keys: Sequence[str]) -> datetime | None:
        """The latest time until which any of keys is blocked (maybe past), or None."""
        result = await self.session.exec(
            select(func.max(LoginFailures.blocked_until)).where(col(LoginFailures.key).in_(keys))
        )
        return result.one()

    async def count_failure(self, key: str, now: datetime, kept_since: datetime) -> int:
        """One more failure of key (the count restarts when the last one is older than kept_since); the new count."""
        table = LoginFailures.__table__  # type: ignore[attr-defined]
        stmt = insert_for(self.session)(table).values(key=key, failures=1, last_failed_at=now, blocked_until=None)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "failures": case((table.c.last_failed_at < kept_since, 1), else_=table.c.failures + 1),
                "last_failed_at": now,
            },
        ).returning(table.c.failures)
        result = await self.session.exec(stmt)
        return int(result.scalar_one())

    async def block(self, key: str, until: datetime) -> None:
        await self.session.exec(update(LoginFailures).where(col(LoginFailures.key) == key).values(blocked_until=until))

    async def forget(self, key: str) -> None:
        await self.session.exec(delete(LoginFailures).where(col(LoginFailures.key) == key))

    async def forget_older_than(self, before: datetime) -> None:
        """Drop counts nobody added to since before and that block nothing any more."""
        await self.session.exec(
            delete(LoginFailures).where(
                col(LoginFailures.last_failed_at) < before,
                (col(LoginFailures.blocked_until).is_(None)) | (col(LoginFailures.blocked_until) < before),
            )
        )
