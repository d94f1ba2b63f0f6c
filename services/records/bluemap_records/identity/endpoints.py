"""Token endpoint, JWKS and OIDC discovery of the built-in identity provider."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status

from bluemap_records.identity import service
from bluemap_records.identity.keys import SigningKey
from bluemap_records.identity.passwords import PasswordHashing
from bluemap_records.identity.schemas import TokenResponse, UserCreate, UserPublic
from bluemap_records.settings import RecordsSettings
from bluemap_shared.auth import PLATFORM_OPERATOR, Admin, CurrentPrincipal
from bluemap_shared.client_ip import ClientIp
from bluemap_shared.problems import Forbidden
from bluemap_shared.runtime import RuntimeDep, SessionDep

router = APIRouter(tags=["identity"])


def _key(request: Request) -> SigningKey:
    return request.app.state.signing_key  # type: ignore[no-any-return]


def _passwords(request: Request) -> PasswordHashing:
    return request.app.state.passwords  # type: ignore[no-any-return]


@router.post(
    "/v1/auth/token",
    response_model=TokenResponse,
    responses={
        401: {"description": "Wrong email or password"},
        422: {"description": "No tenant named"},
        429: {"description": "Too many failed logins of this account or address of late; wait Retry-After seconds"},
        503: {
            "description": "Too many logins waiting for password verification (retry after Retry-After seconds), "
            "or the tenant is suspended"
        },
    },
)
async def token(
    request: Request,
    runtime: RuntimeDep,
    client_ip: ClientIp,
    username: Annotated[str, Form(description="The user's email", max_length=320)],
    password: Annotated[str, Form(max_length=200)],
    tenant: Annotated[str, Form(max_length=64, description="The tenant signed in to (the portal: its host's)")],
) -> TokenResponse:
    """OAuth 2.0 password grant: a signed access token that every service verifies on its own.

    Failed logins slow the next ones, per account and per client address (429 with Retry-After).
    A suspended tenant's users are refused (503).
    """
    settings: RecordsSettings = runtime.settings  # type: ignore[assignment]
    user = await service.login(
        runtime.sessionmaker,
        _passwords(request),
        service.LoginThrottle.of(settings),
        tenant,
        username,
        password,
        client_ip,
    )
    if PLATFORM_OPERATOR not in user.roles:
        # The platform operator signs in to resume its own tenant too; everyone else of a suspended one waits.
        await runtime.tenants.check_active(tenant)
    access_token = service.issue_token(
        _key(request),
        user,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        lifetime=settings.token_lifetime_seconds,
    )
    return TokenResponse(access_token=access_token, expires_in=settings.token_lifetime_seconds)


@router.get("/v1/auth/me")
async def me(principal: CurrentPrincipal) -> dict[str, Any]:
    """The caller as the token describes them."""
    return {
        "subject": principal.subject,
        "tenant_id": principal.tenant_id,
        "roles": sorted(principal.roles),
        "enterprise_id": principal.enterprise_id,
        "name": principal.name,
    }


@router.post("/v1/users", status_code=status.HTTP_201_CREATED, response_model=UserPublic)
async def create_user(request: Request, data: UserCreate, session: SessionDep, principal: Admin) -> UserPublic:
    """Create a login in the admin's tenant; only a platform operator makes another one."""
    if PLATFORM_OPERATOR in data.roles and PLATFORM_OPERATOR not in principal.roles:
        raise Forbidden("Only a platform operator makes another platform operator.")
    return UserPublic.model_validate(await service.create_user(session, _passwords(request), principal.tenant_id, data))


@router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> dict[str, Any]:
    """Public keys that verify the tokens."""
    return _key(request).jwks()


@router.get("/.well-known/openid-configuration")
async def openid_configuration(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """OIDC discovery, so an external identity provider can take this one's place."""
    base = str(request.base_url).rstrip("/")
    return {
        "issuer": runtime.settings.token_issuer,
        "token_endpoint": f"{base}/v1/auth/token",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "grant_types_supported": ["password"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "claims_supported": ["sub", "tenant_id", "roles", "enterprise_id", "name", "email", "locale"],
    }
