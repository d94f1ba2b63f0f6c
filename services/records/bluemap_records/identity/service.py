"""Password login and token issuing (argon2id hashes, RS256 tokens), throttled per account and client address."""

import hashlib
import math
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.enterprises.service import get_enterprise
from bluemap_records.identity.keys import SigningKey
from bluemap_records.identity.models import PasswordToken, PasswordTokenPurpose, User, UserSession
from bluemap_records.identity.passwords import PasswordHashing
from bluemap_records.identity.repository import (
    LoginFailuresRepository,
    PasswordTokenRepository,
    UserRepository,
    UserSessionRepository,
)
from bluemap_records.identity.schemas import UserCreate, UserInvite, UserPublic, UserUpdate
from bluemap_records.settings import RecordsSettings
from bluemap_shared.auth import ENTERPRISE, Principal
from bluemap_shared.db import SessionMaker, utcnow
from bluemap_shared.events.catalog import PasswordResetRequested, SessionsRevoked, UserInvited
from bluemap_shared.messaging import emit
from bluemap_shared.problems import Conflict, InvalidInput, NotFound, Problem, TooManyRequests, Unauthorized
from bluemap_shared.revocation import revoke_sessions

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
    # An invited user without a password yet has an empty hash: no password matches it.
    matches = await passwords.verify(user.password_hash if user and user.password_hash else None, password)
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


async def _check_roles(session: AsyncSession, tenant_id: str, roles: list[str], enterprise_id: UUID | None) -> None:
    if ENTERPRISE in roles and enterprise_id is None:
        raise InvalidInput("Enterprise users need enterprise_id.")
    if enterprise_id is not None:
        # Any role: an unknown (or another tenant's) enterprise is a 404, never a foreign-key error.
        await get_enterprise(session, tenant_id, enterprise_id)


async def _new_user(session: AsyncSession, tenant_id: str, data: UserCreate | UserInvite, password_hash: str) -> User:
    repository = UserRepository(session)
    if await repository.get_by_email(tenant_id, data.email) is not None:
        raise Conflict("A user with this email already exists.")
    await _check_roles(session, tenant_id, list(data.roles), data.enterprise_id)
    user = User(
        tenant_id=tenant_id,
        email=str(data.email).lower(),
        password_hash=password_hash,
        display_name=data.display_name,
        roles=list(dict.fromkeys(data.roles)),
        enterprise_id=data.enterprise_id,
        locale=data.locale,
    )
    repository.add(user)
    await session.flush()
    return user


async def create_user(session: AsyncSession, passwords: PasswordHashing, tenant_id: str, data: UserCreate) -> User:
    return await _new_user(session, tenant_id, data, await passwords.hash(data.password))


def issue_token(key: SigningKey, user: User, session_id: str, *, issuer: str, audience: str, lifetime: int) -> str:
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
            "sid": session_id,
        }
    )


# Users' lifecycle: sessions, invitations, disabling, roles, passwords.
RevocationReason = Literal["logout", "disabled", "role-changed", "password-changed", "password-reset"]
PASSWORD_TOKEN_BYTES = 32
RESETS_PER_HOUR = 5


class PasswordLinkUnusable(Problem):
    """The link is known but spent: used already, replaced by a newer one, or expired."""

    status = 410
    type = "password-link-unusable"
    title = "This link can no longer be used"


def user_status(user: User) -> Literal["invited", "active", "disabled"]:
    if not user.active:
        return "disabled"
    return "active" if user.password_hash else "invited"


def public_user(user: User) -> UserPublic:
    return UserPublic(
        id=user.id,
        tenant_id=user.tenant_id,
        email=user.email,
        display_name=user.display_name,
        roles=list(user.roles),
        enterprise_id=user.enterprise_id,
        locale=user.locale,
        status=user_status(user),
        created_at=user.created_at,
    )


def token_hash(token: str) -> str:
    # 256 random bits: a plain hash is enough, nothing to guess, nothing to salt.
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(sessionmaker: SessionMaker, user: User, lifetime: int) -> UserSession:
    """A new login of user; its id becomes the tokens' `sid`."""
    now = utcnow()
    user_session = UserSession(
        id=secrets.token_urlsafe(24),
        tenant_id=user.tenant_id,
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(seconds=lifetime),
    )
    async with sessionmaker() as own, own.begin():
        repository = UserSessionRepository(own)
        repository.add(user_session)
        # Expired sessions need no revocation any more; dropping them keeps the table to live logins.
        await repository.forget_expired(now - timedelta(days=1))
    return user_session


async def end_sessions(
    session: AsyncSession, user: User, reason: RevocationReason, *, only: str | None = None, keep: str | None = None
) -> int:
    """Revoke the user's live sessions (only one, or all but keep): refused here at commit, elsewhere by the event."""
    now = utcnow()
    ended = [
        s
        for s in await UserSessionRepository(session).live(user.tenant_id, user.id, now)
        if (only is None or s.id == only) and s.id != keep
    ]
    if not ended:
        return 0
    for user_session in ended:
        user_session.revoked_at = now
        session.add(user_session)
    expires_at = max(s.expires_at for s in ended)
    ids = [s.id for s in ended]
    await revoke_sessions(session, user.tenant_id, str(user.id), ids, expires_at=expires_at, revoked_at=now)
    emit(
        session,
        SessionsRevoked(user_id=user.id, session_ids=ids, reason=reason, revoked_at=now, expires_at=expires_at),
        tenant_id=user.tenant_id,
    )
    log.info("identity.sessions_revoked", user_id=str(user.id), sessions=len(ids), reason=reason)
    return len(ids)


async def logout(session: AsyncSession, principal: Principal) -> None:
    """End the caller's session; its token and cookie are refused by every service from now on."""
    if principal.session_id is None:
        return
    user = await UserRepository(session).get(principal.tenant_id, _own_id(principal))
    if user is not None:
        await end_sessions(session, user, "logout", only=principal.session_id)


async def list_users(session: AsyncSession, tenant_id: str, *, limit: int, offset: int) -> list[UserPublic]:
    return [public_user(u) for u in await UserRepository(session).list(tenant_id, limit=limit, offset=offset)]


def _own_id(principal: Principal) -> UUID:
    """The caller's user id; a token of another issuer names no user here."""
    try:
        return UUID(principal.subject)
    except ValueError:
        raise NotFound("The caller is not a user of this identity provider.") from None


async def _user_of(session: AsyncSession, tenant_id: str, user_id: UUID) -> User:
    user = await UserRepository(session).get(tenant_id, user_id, lock=True)
    if user is None:
        raise NotFound("No such user.")
    return user


def _new_password_token(
    session: AsyncSession, user: User, purpose: PasswordTokenPurpose, lifetime: int, now: datetime
) -> tuple[str, PasswordToken]:
    token = secrets.token_urlsafe(PASSWORD_TOKEN_BYTES)
    row = PasswordToken(
        tenant_id=user.tenant_id,
        user_id=user.id,
        purpose=purpose,
        token_sha256=token_hash(token),
        created_at=now,
        expires_at=now + timedelta(seconds=lifetime),
    )
    PasswordTokenRepository(session).add(row)
    return token, row


async def invite_user(session: AsyncSession, principal: Principal, data: UserInvite, *, lifetime: int) -> User:
    """A user without a password yet; the mailed link (UserInvited, through notifications) lets them set one."""
    user = await _new_user(session, principal.tenant_id, data, password_hash="")
    now = utcnow()
    token, row = _new_password_token(session, user, PasswordTokenPurpose.INVITE, lifetime, now)
    await session.flush()
    emit(
        session,
        UserInvited(
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            roles=list(user.roles),
            password_token=token,
            expires_at=row.expires_at,
            locale="en" if user.locale == "en" else "zh",
            invited_by=principal.subject,
        ),
        tenant_id=user.tenant_id,
    )
    log.info("identity.user_invited", user_id=str(user.id), roles=user.roles)
    return user


async def update_user(session: AsyncSession, principal: Principal, user_id: UUID, data: UserUpdate) -> User:
    """Disable, re-enable or change roles; a disabled user or a changed role ends the user's sessions."""
    user = await _user_of(session, principal.tenant_id, user_id)
    is_self = str(user.id) == principal.subject
    ended_by: RevocationReason | None = None
    if data.roles is not None:
        roles: list[str] = list(dict.fromkeys(data.roles))
        enterprise_id = data.enterprise_id if data.enterprise_id is not None else user.enterprise_id
        if ENTERPRISE not in roles and data.enterprise_id is None:
            enterprise_id = None
        if is_self and "admin" not in roles:
            raise Conflict("An admin cannot take their own admin role; another admin can.", reason="self")
        await _check_roles(session, principal.tenant_id, roles, enterprise_id)
        if roles != list(user.roles) or enterprise_id != user.enterprise_id:
            user.roles = roles
            user.enterprise_id = enterprise_id
            ended_by = "role-changed"
    if data.active is not None and data.active != user.active:
        if is_self and not data.active:
            raise Conflict("An admin cannot disable their own account; another admin can.", reason="self")
        user.active = data.active
        if not data.active:
            ended_by = "disabled"
    session.add(user)
    await session.flush()
    if ended_by is not None:
        await end_sessions(session, user, ended_by)
    log.info("identity.user_updated", user_id=str(user.id), active=user.active, roles=user.roles)
    return user


async def change_password(
    session: AsyncSession, passwords: PasswordHashing, principal: Principal, current: str, new: str
) -> None:
    """The signed-in user's new password, when the current one is right; their other sessions end."""
    user = await _user_of(session, principal.tenant_id, _own_id(principal))
    if not await passwords.verify(user.password_hash or None, current):
        raise InvalidInput(
            "The current password is wrong.",
            errors=[{"location": ["body", "current_password"], "message": "wrong password", "type": "wrong"}],
        )
    if current == new:
        raise InvalidInput(
            "The new password is the current one.",
            errors=[{"location": ["body", "new_password"], "message": "same as the current", "type": "unchanged"}],
        )
    user.password_hash = await passwords.hash(new)
    session.add(user)
    await session.flush()
    await end_sessions(session, user, "password-changed", keep=principal.session_id)


async def request_password_reset(session: AsyncSession, tenant_id: str, email: str, *, lifetime: int) -> None:
    """Mail a reset link to an active user; for an unknown address nothing happens, and the caller cannot tell."""
    user = await UserRepository(session).get_by_email(tenant_id, email)
    if user is None or not user.active:
        log.info("identity.reset_for_nobody")
        return
    await session.refresh(user, with_for_update=True)
    now = utcnow()
    recent = await PasswordTokenRepository(session).count_since(user.tenant_id, user.id, now - timedelta(hours=1))
    if recent >= RESETS_PER_HOUR:
        # A mailbox is not flooded by whoever knows its address; the answer looks the same.
        log.info("identity.reset_throttled", user_id=str(user.id))
        return
    await PasswordTokenRepository(session).spend_unused(user.tenant_id, user.id, now)
    token, row = _new_password_token(session, user, PasswordTokenPurpose.RESET, lifetime, now)
    await session.flush()
    emit(
        session,
        PasswordResetRequested(
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            password_token=token,
            expires_at=row.expires_at,
            locale="en" if user.locale == "en" else "zh",
        ),
        tenant_id=user.tenant_id,
    )
    log.info("identity.reset_requested", user_id=str(user.id))


async def set_password_by_link(session: AsyncSession, passwords: PasswordHashing, token: str, password: str) -> User:
    """Follow a mailed link (invitation or reset) once, before it expires: the password is set, sessions end."""
    repository = PasswordTokenRepository(session)
    row = await repository.by_hash(token_hash(token))
    if row is None:
        raise NotFound("This link is not known.", reason="unknown")
    if row.used_at is not None:
        raise PasswordLinkUnusable("This link has been used already, or a newer one replaced it.", reason="used")
    # Locks in the order a reset request takes them (user, then the user's links), so the two never deadlock.
    user = await _user_of(session, row.tenant_id, row.user_id)
    await session.refresh(row, with_for_update=True)
    if row.used_at is not None:
        raise PasswordLinkUnusable("This link has been used already, or a newer one replaced it.", reason="used")
    now = utcnow()
    if row.expires_at <= now:
        raise PasswordLinkUnusable("This link has expired; ask for a new one.", reason="expired")
    if not user.active:
        raise PasswordLinkUnusable("This account is disabled.", reason="disabled")
    user.password_hash = await passwords.hash(password)
    session.add(user)
    await repository.spend_unused(user.tenant_id, user.id, now)
    await session.flush()
    await end_sessions(session, user, "password-reset")
    log.info("identity.password_set_by_link", user_id=str(user.id), purpose=row.purpose)
    return user
