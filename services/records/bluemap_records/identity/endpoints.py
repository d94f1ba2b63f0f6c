"""Token endpoint, JWKS and OIDC discovery of the built-in identity provider."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request, Response, status

from bluemap_records.identity import service
from bluemap_records.identity.keys import SigningKey
from bluemap_records.identity.passwords import PasswordHashing
from bluemap_records.identity.schemas import (
    PasswordChange,
    PasswordResetRequest,
    PasswordSet,
    TokenResponse,
    UserCreate,
    UserInvite,
    UserPublic,
    UserUpdate,
)
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
    user_session = await service.start_session(runtime.sessionmaker, user, settings.token_lifetime_seconds)
    access_token = service.issue_token(
        _key(request),
        user,
        user_session.id,
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


@router.post("/v1/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(session: SessionDep, principal: CurrentPrincipal) -> Response:
    """End the caller's session: every service refuses its token from now on (SessionsRevoked)."""
    await service.logout(session, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/auth/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={422: {"description": "Current password wrong, or the new one refused by the policy (per field)"}},
)
async def change_password(
    request: Request, data: PasswordChange, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """Change the caller's password (the current one proves it is them); their other sessions end."""
    await service.change_password(session, _passwords(request), principal, data.current_password, data.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/auth/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses={202: {"description": "Accepted: a link is mailed if the address is an active user's (no body)"}},
)
async def request_password_reset(data: PasswordResetRequest, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Mail a reset link to the address when it is an active user's; the answer is the same either way."""
    settings: RecordsSettings = runtime.settings  # type: ignore[assignment]
    await service.request_password_reset(
        session,
        data.tenant,
        str(data.email),
        lifetime=settings.password_reset_lifetime_seconds,
    )
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/v1/auth/password-link",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        404: {"description": "The link's token is not known"},
        410: {"description": "The link was used, replaced by a newer one, or expired (reason says which)"},
        422: {"description": "The password is refused by the policy (per field)"},
    },
)
async def set_password_by_link(request: Request, data: PasswordSet, session: SessionDep) -> Response:
    """Set a password through a mailed link (invitation or reset): once, before it expires."""
    await service.set_password_by_link(session, _passwords(request), data.token, data.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/users", response_model=list[UserPublic])
async def list_users(
    session: SessionDep,
    principal: Admin,
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> list[UserPublic]:
    """The users of the admin's tenant, by email."""
    return await service.list_users(session, principal.tenant_id, limit=limit, offset=offset)


@router.post("/v1/users", status_code=status.HTTP_201_CREATED, response_model=UserPublic)
async def create_user(request: Request, data: UserCreate, session: SessionDep, principal: Admin) -> UserPublic:
    """Create a login in the admin's tenant with a password the admin chose (prefer an invitation).

    Only a platform operator makes another platform operator.
    """
    if PLATFORM_OPERATOR in data.roles and PLATFORM_OPERATOR not in principal.roles:
        raise Forbidden("Only a platform operator makes another platform operator.")
    return service.public_user(await service.create_user(session, _passwords(request), principal.tenant_id, data))


@router.post(
    "/v1/users/invitations",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses={409: {"description": "A user with this email exists"}},
)
async def invite_user(data: UserInvite, session: SessionDep, runtime: RuntimeDep, principal: Admin) -> UserPublic:
    """Invite a user by email: they get a link (UserInvited, mailed by notifications) to set their password."""
    settings: RecordsSettings = runtime.settings  # type: ignore[assignment]
    user = await service.invite_user(session, principal, data, lifetime=settings.invitation_lifetime_seconds)
    return service.public_user(user)


@router.patch(
    "/v1/users/{user_id}",
    response_model=UserPublic,
    responses={409: {"description": "An admin may not disable or demote themselves"}},
)
async def update_user(user_id: UUID, data: UserUpdate, session: SessionDep, principal: Admin) -> UserPublic:
    """Disable (`active: false`), re-enable, or change roles; disabling or a role change ends the user's sessions."""
    return service.public_user(await service.update_user(session, principal, user_id, data))


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
