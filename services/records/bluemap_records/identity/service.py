"""Password login and token issuing (argon2id hashes, RS256 tokens), throttled per account and client address."""

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.enterprises.service import get_enterprise
from bluemap_records.identity.keys import SigningKey
from bluemap_records.identity.models import User
from bluemap_records.identity.passwords import PasswordHashing
from bluemap_records.identity.repository import LoginFailuresRepository, UserRepository
from bluemap_records.identity.schemas import UserCreate
from bluemap_records.settings import RecordsSettings
from bluemap_shared.db import SessionMaker, utcnow
from bluemap_shared.problems import Conflict, InvalidInput, TooManyRequests, Unauthorized

log = structlog.get_logger()


@dataclass(frozen=True)
class LoginThrottle:
    """How failed logins slow the next attempts: free ones first, then a delay doubling with each failure."""

    free_failures_per_account: int
    free_failures_per_address: int
    first_delay_seconds: float
    max_delay_seconds: float
    failures_kept_seconds: float

    @classmethod
    def of(cls, settings: RecordsSettings) -> "LoginThrottle":
        return cls(
            free_failures_per_account=settings.login_free_failures_per_account,
            free_failures_per_address=settings.login_free_failures_per_address,
            first_delay_seconds=settings.login_first_delay_seconds,
            max_delay_seconds=settings.login_max_delay_seconds,
            failures_kept_seconds=settings.login_failures_kept_seconds,
        )

    def delay(self, failures: int, free: int) -> float:
        """Seconds the next attempt waits after failures in a row: none below free, then 1x, 2x, 4x... up to the cap."""
        if failures < free:
            return 0.0
        return min(self.first_delay_seconds * 2.0 ** min(failures - free, 64), self.max_delay_seconds)


def account_key(tenant_id: str, email: str) -> str:
    return hashlib.sha256(f"account|{tenant_id}|{email.strip().lower()}".encode()).hexdigest()


def address_key(address: str) -> str:
    return hashlib.sha256(f"address|{address}".encode()).hexdigest()


async def login(
    sessionmaker: SessionMaker,
    passwords: PasswordHashing,
    throttle: LoginThrottle,
    tenant_id: str,
    email: str,
    password: str,
    address: str | None,
) -> User:
    """The user the email and password are of, unless their account or address failed too often of late (429).

    Every read and write is a short transaction of its own: no pooled connection waits while argon2 runs,
    and the failure counts commit although the login is refused.
    """
    account = account_key(tenant_id, email)
    keys = {account: throttle.free_failures_per_account}
    if address:
        keys[address_key(address)] = throttle.free_failures_per_address
    async with sessionmaker() as own, own.begin():
        blocked_until = await LoginFailuresRepository(own).blocked_until(list(keys))
        user = await UserRepository(own).get_by_email(tenant_id, email)
    now = utcnow()
    if blocked_until is not None and blocked_until > now:
        retry_after = max(1, math.ceil((blocked_until - now).total_seconds()))
        raise TooManyRequests(f"Too many failed logins; try again in {retry_after} seconds.", retry_after=retry_after)
    matches = await passwords.verify(user.password_hash if user else None, password)
    if user is None or not matches or not user.active:
        await _count_failure(sessionmaker, throttle, keys)
        raise Unauthorized("Wrong email or password.")
    await forget_failures(sessionmaker, tenant_id, email)
    return user


async def _count_failure(sessionmaker: SessionMaker, throttle: LoginThrottle, keys: dict[str, int]) -> None:
    now = utcnow()
    kept_since = now - timedelta(seconds=throttle.failures_kept_seconds)
    async with sessionmaker() as own, own.begin():
        repository = LoginFailuresRepository(own)
        for key, free in keys.items():
            failures = await repository.count_failure(key, now, kept_since)
            delay = throttle.delay(failures, free)
            if delay > 0:
                await repository.block(key, now + timedelta(seconds=delay))
                log.info("identity.login_throttled", key=key[:12], failures=failures, delay=delay)


async def forget_failures(sessionmaker: SessionMaker, tenant_id: str, email: str) -> None:
    """A successful login clears its account's count (not its address's: one good account must not reset that)."""
    async with sessionmaker() as own, own.begin():
        await LoginFailuresRepository(own).forget(account_key(tenant_id, email))


async def forget_old_failures(sessionmaker: SessionMaker, throttle: LoginThrottle) -> None:
    """Drop counts that expired: the table holds recent failures only."""
    before = utcnow() - timedelta(seconds=max(throttle.failures_kept_seconds, throttle.max_delay_seconds))
    async with sessionmaker() as own, own.begin():
        await LoginFailuresRepository(own).forget_older_than(before)


async def create_user(session: AsyncSession, passwords: PasswordHashing, tenant_id: str, data: UserCreate) -> User:
    repository = UserRepository(session)
    if await repository.get_by_email(tenant_id, data.email) is not None:
        raise Conflict("A user with this email already exists.")
    if "enterprise" in data.roles and data.enterprise_id is None:
        raise InvalidInput("Enterprise users need enterprise_id.")
    if data.enterprise_id is not None:
        # Any role: an unknown (or another tenant's) enterprise is a 404, never a foreign-key error.
        await get_enterprise(session, tenant_id, data.enterprise_id)
    user = User(
        tenant_id=tenant_id,
        email=str(data.email).lower(),
        password_hash=await passwords.hash(data.password),
        display_name=data.display_name,
        roles=list(dict.fromkeys(data.roles)),
        enterprise_id=data.enterprise_id,
        locale=data.locale,
    )
    repository.add(user)
    await session.flush()
    return user


def issue_token(key: SigningKey, user: User, *, issuer: str, audience: str, lifetime: int) -> str:
    now = int(time.time())
    return key.sign(
        {
            "iss": issuer,
            "aud": audience,
            "sub": str(user.id),
            "iat": now,
            "exp": now + lifetime,
            "tenant_id": user.tenant_id,
            "roles": user.roles,
            "enterprise_id": str(user.enterprise_id) if user.enterprise_id else None,
            "name": user.display_name,
            "email": user.email,
            "locale": user.locale,
        }
    )
