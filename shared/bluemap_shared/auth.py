"""Bearer tokens: every service verifies them on its own against the issuer's JWKS."""

import asyncio
import time
from dataclasses import dataclass
from typing import Annotated, Any, Protocol
from uuid import UUID

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bluemap_shared.problems import Forbidden, Unauthorized
from bluemap_shared.revocation import refuse_revoked

ADMIN = "admin"
REVIEWER = "reviewer"
ENTERPRISE = "enterprise"
# Runs the platform: creates, edits and suspends tenants (a role above a tenant's admin).
PLATFORM_OPERATOR = "platform-operator"
OPERATOR_ROLES = frozenset({ADMIN, REVIEWER})
ALGORITHMS = ["RS256", "ES256", "EdDSA"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: a subject in one tenant, with roles and, for enterprise staff, an enterprise."""

    subject: str
    tenant_id: str
    roles: frozenset[str]
    enterprise_id: UUID | None = None
    name: str = ""
    locale: str = "zh"
    email: str = ""
    # The login session the token belongs to (claim `sid`): logout or a disabled account revokes it.
    session_id: str | None = None

    @property
    def is_operator(self) -> bool:
        return bool(self.roles & OPERATOR_ROLES)


def may_read_enterprise(principal: Principal, enterprise_id: UUID | None) -> bool:
    """Operators read their whole tenant (queries are tenant-scoped); enterprise staff their own."""
    if principal.is_operator:
        return True
    return ENTERPRISE in principal.roles and enterprise_id is not None and principal.enterprise_id == enterprise_id


def enterprise_scope(principal: Principal, enterprise_id: UUID | None) -> tuple[bool, UUID | None]:
    """(allowed, enterprise filter) of a list request; enterprise staff only ever see their own."""
    if principal.is_operator:
        return True, enterprise_id
    if ENTERPRISE not in principal.roles or principal.enterprise_id is None:
        return False, None
    if enterprise_id not in (None, principal.enterprise_id):
        return False, None
    return True, principal.enterprise_id


class TokenClaims(BaseModel):
    """The claims a Principal is made of, validated: a signed token is still input."""

    # strict: "roles": "admin" stays a string and is refused, never read as the letters a, d, m, i, n.
    model_config = ConfigDict(strict=True, extra="ignore")

    sub: str = Field(min_length=1, max_length=255)
    tenant_id: str = Field(min_length=1, max_length=64)
    roles: list[str] = Field(default_factory=list, max_length=16)
    enterprise_id: UUID | None = Field(default=None, strict=False)
    name: str | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, max_length=16)
    email: str | None = Field(default=None, max_length=320)
    sid: str | None = Field(default=None, min_length=1, max_length=64)


class KeySource(Protocol):
    async def signing_key(self, kid: str) -> Any: ...


class StaticJwks:
    """Keys handed over at composition time (the embedded default, tests)."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._keys = {k["kid"]: jwt.PyJWK(k).key for k in jwks["keys"]}

    async def signing_key(self, kid: str) -> Any:
        try:
            return self._keys[kid]
        except KeyError:
            raise Unauthorized("Token signed by an unknown key.") from None


class HttpJwks:
    """Fetches the issuer's JWKS and caches it; refetches on an unknown kid, at most every 30 s."""

    def __init__(self, url: str, *, ttl: float = 300.0, min_refresh: float = 30.0) -> None:
        self._url = url
        self._ttl = ttl
        self._min_refresh = min_refresh
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(self._url)
            response.raise_for_status()
        self._keys = {k["kid"]: jwt.PyJWK(k).key for k in response.json()["keys"]}
        self._fetched_at = time.monotonic()

    async def signing_key(self, kid: str) -> Any:
        if kid not in self._keys or time.monotonic() - self._fetched_at > self._ttl:
            async with self._lock:
                since = time.monotonic() - self._fetched_at
                if since > self._ttl or (kid not in self._keys and since > self._min_refresh):
                    try:
                        await self._refresh()
                    except (httpx.HTTPError, KeyError, ValueError) as exc:
                        if kid not in self._keys:
                            raise Unauthorized("The token issuer's keys are unavailable.") from exc
        try:
            return self._keys[kid]
        except KeyError:
            raise Unauthorized("Token signed by an unknown key.") from None


class TokenVerifier:
    """Checks signature, issuer, audience and expiry; maps claims onto a Principal."""

    def __init__(self, keys: KeySource, *, issuer: str, audience: str) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            key = await self._keys.signing_key(str(header.get("kid", "")))
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"Invalid token: {exc}") from exc
        try:
            valid = TokenClaims.model_validate(claims)
        except ValidationError as exc:
            fields = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
            raise Unauthorized(f"Invalid token: malformed claims {', '.join(fields)}.") from None
        return Principal(
            subject=valid.sub,
            tenant_id=valid.tenant_id,
            roles=frozenset(valid.roles),
            enterprise_id=valid.enterprise_id,
            name=valid.name or "",
            locale=valid.locale or "zh",
            email=valid.email or "",
            session_id=valid.sid,
        )


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller, from the Authorization header; 401 without a valid token or when its session has ended."""
    if credentials is None:
        raise Unauthorized("A bearer token is required.")
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(credentials.credentials)
    tenants = getattr(request.app.state, "tenants", None)
    if tenants is not None and PLATFORM_OPERATOR not in principal.roles:
        # A suspended tenant's tokens stay valid in form; the platform operator may still act (resume it).
        await tenants.check_active(principal.tenant_id)
    return await refuse_revoked(request.app.state.runtime.engine, principal)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Any:
    """Dependency: the caller must hold one of roles."""
    wanted = frozenset(roles)

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.roles & wanted:
            raise Forbidden(f"Requires one of the roles: {', '.join(sorted(wanted))}.")
        return principal

    return Depends(check)


Operator = Annotated[Principal, require_roles(ADMIN, REVIEWER)]
Admin = Annotated[Principal, require_roles(ADMIN)]
EnterpriseUser = Annotated[Principal, require_roles(ENTERPRISE)]
PlatformOperator = Annotated[Principal, require_roles(PLATFORM_OPERATOR)]
