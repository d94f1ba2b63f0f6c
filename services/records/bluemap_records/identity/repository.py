"""User queries, scoped by tenant."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import case, delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.identity.models import LoginFailures, PasswordToken, User, UserSession
from bluemap_shared.db import insert_for


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_email(self, tenant_id: str, email: str) -> User | None:
        result = await self.session.exec(select(User).where(User.tenant_id == tenant_id, User.email == email.lower()))
        return result.first()

    async def get(self, tenant_id: str, user_id: UUID, *, lock: bool = False) -> User | None:
        query = select(User).where(User.tenant_id == tenant_id, User.id == user_id)
        result = await self.session.exec(query.with_for_update() if lock else query)
        return result.first()

    async def list(self, tenant_id: str, *, limit: int, offset: int) -> Sequence[User]:
        result = await self.session.exec(
            select(User).where(User.tenant_id == tenant_id).order_by(col(User.email)).limit(limit).offset(offset)
        )
        return result.all()

    def add(self, user: User) -> None:
        self.session.add(user)


class UserSessionRepository:
    """Logins (sessions) of users; a token's `sid` names one."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, user_session: UserSession) -> None:
        self.session.add(user_session)

    async def get(self, session_id: str) -> UserSession | None:
        result = await self.session.exec(select(UserSession).where(UserSession.id == session_id))
        return result.first()

    async def live(self, tenant_id: str, user_id: UUID, now: datetime) -> Sequence[UserSession]:
        """The user's sessions neither revoked nor expired."""
        result = await self.session.exec(
            select(UserSession).where(
                UserSession.tenant_id == tenant_id,
                UserSession.user_id == user_id,
                col(UserSession.revoked_at).is_(None),
                col(UserSession.expires_at) > now,
            )
        )
        return result.all()

    async def forget_expired(self, before: datetime) -> None:
        await self.session.exec(delete(UserSession).where(col(UserSession.expires_at) < before))


class PasswordTokenRepository:
    """Mailed password links; looked up by the hash of the token, the only thing kept of it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, token: PasswordToken) -> None:
        self.session.add(token)

    async def by_hash(self, token_sha256: str) -> PasswordToken | None:
        result = await self.session.exec(select(PasswordToken).where(PasswordToken.token_sha256 == token_sha256))
        return result.first()

    async def count_since(self, tenant_id: str, user_id: UUID, since: datetime) -> int:
        result = await self.session.exec(
            select(func.count()).where(
                PasswordToken.tenant_id == tenant_id,
                PasswordToken.user_id == user_id,
                col(PasswordToken.created_at) >= since,
            )
        )
        return int(result.one())

    async def spend_unused(self, tenant_id: str, user_id: UUID, now: datetime) -> None:
        """Every link of the user still unused stops working (a newer one, or the password was set)."""
        await self.session.exec(
            update(PasswordToken)
            .where(
                col(PasswordToken.tenant_id) == tenant_id,
                col(PasswordToken.user_id) == user_id,
                col(PasswordToken.used_at).is_(None),
            )
            .values(used_at=now)
        )


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
