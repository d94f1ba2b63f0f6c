"""Password login and token issuing (argon2id hashes, RS256 tokens)."""

import time

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, VerifyMismatchError
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.enterprises.service import get_enterprise
from bluemap_records.identity.keys import SigningKey
from bluemap_records.identity.models import User
from bluemap_records.identity.repository import UserRepository
from bluemap_records.identity.schemas import UserCreate
from bluemap_shared.problems import Conflict, InvalidInput, Unauthorized

_hasher = PasswordHasher()
# Verifying against a real hash when the user is unknown keeps login timing uniform.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


async def create_user(session: AsyncSession, tenant_id: str, data: UserCreate) -> User:
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
        password_hash=_hasher.hash(data.password),
        display_name=data.display_name,
        roles=list(dict.fromkeys(data.roles)),
        enterprise_id=data.enterprise_id,
        locale=data.locale,
    )
    repository.add(user)
    await session.flush()
    return user


async def authenticate(session: AsyncSession, tenant_id: str, email: str, password: str) -> User:
    user = await UserRepository(session).get_by_email(tenant_id, email)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError):
        user = None
    if user is None or not user.active:
        raise Unauthorized("Wrong email or password.")
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
