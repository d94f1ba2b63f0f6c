"""Signing in to the portal: the access token in an HttpOnly cookie, and CSRF protection of every form."""

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import jwt
from fastapi import Depends, Request
from fastapi.responses import Response

from bluemap_portal.settings import PortalSettings, current_settings
from bluemap_portal.workspace.backend import Backend, HttpClientDep, client_ip
from bluemap_shared.auth import ENTERPRISE, Principal, TokenVerifier
from bluemap_shared.problems import Unauthorized
from bluemap_shared.revocation import refuse_revoked

SESSION_COOKIE = "bluemap_session"
CSRF_COOKIE = "bluemap_csrf"
CSRF_FIELD = "csrf_token"
CSRF_BYTES = 32
# The CSRF cookie outlives a session so a login form left open for a while still posts.
CSRF_MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class SignedIn:
    """The user behind the session cookie: their token (sent on to the services) and what it says."""

    token: str
    principal: Principal
    email: str

    @property
    def is_enterprise(self) -> bool:
        return ENTERPRISE in self.principal.roles and self.principal.enterprise_id is not None


class LoginRequired(Exception):
    """No valid session: the user is sent to the login page, and back here afterwards."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class WrongAccount(Exception):
    """Signed in, but with an account this part of the portal is not for (enterprise vs reviewer)."""

    def __init__(self, user: SignedIn, needed: str) -> None:
        super().__init__(needed)
        self.user = user
        self.needed = needed


class CsrfRefused(Exception):
    """A form post without the token of the page it came from: possibly another site's forgery."""


def _secure(request: Request, settings: PortalSettings) -> bool:
    # Behind a TLS-terminating proxy the scheme may read http; production is always served over https.
    return request.url.scheme == "https" or settings.environment == "production"


def set_session(request: Request, response: Response, token: str, max_age: int) -> None:
    settings = current_settings(request)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
    )


def clear_session(request: Request, response: Response) -> None:
    secure = _secure(request, current_settings(request))
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=secure)


async def verify_token(request: Request, token: str) -> SignedIn | None:
    """The user a token describes, when its signature, issuer, audience and expiry check out."""
    runtime = request.app.state.runtime
    verifier: TokenVerifier = runtime.token_verifier
    try:
        principal = await refuse_revoked(runtime.engine, await verifier.verify(token))
    except Unauthorized:
        return None
    # The signature was just checked; the email claim is only shown, never trusted for access.
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return SignedIn(token=token, principal=principal, email=str(claims.get("email") or ""))


async def signed_in(request: Request) -> SignedIn | None:
    """The user of the session cookie, or None without a valid, unexpired one."""
    if hasattr(request.state, "signed_in"):
        cached: SignedIn | None = request.state.signed_in
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    user = await verify_token(request, token) if token else None
    request.state.signed_in = user
    return user


def here(request: Request) -> str:
    """This page's path and query, where the login page sends the user back to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def safe_next(value: str | None) -> str | None:
    """A local path to go to after login; anything that could leave the site (//host, /\\host, URLs) is dropped."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if any(c in value for c in "\r\n\t\\") or len(value) > 2000:
        return None
    return value


def login_url(request: Request, next_path: str | None) -> str:
    root = str(request.scope.get("root_path", "")).rstrip("/")
    query = {"next": next_path} if next_path else {}
    return f"{root}/login" + (f"?{urlencode(query)}" if query else "")


async def require_user(request: Request) -> SignedIn:
    user = await signed_in(request)
    if user is None:
        raise LoginRequired(here(request) if request.method == "GET" else "")
    return user


async def require_enterprise(request: Request) -> SignedIn:
    """Enterprise staff with an enterprise: the workspace is theirs."""
    user = await require_user(request)
    if not user.is_enterprise:
        raise WrongAccount(user, "enterprise")
    return user


async def require_operator(request: Request) -> SignedIn:
    """Reviewers and admins of the tenant: the console is theirs."""
    user = await require_user(request)
    if not user.principal.is_operator:
        raise WrongAccount(user, "operator")
    return user


EnterpriseSession = Annotated[SignedIn, Depends(require_enterprise)]
UserSession = Annotated[SignedIn, Depends(require_user)]
OperatorSession = Annotated[SignedIn, Depends(require_operator)]
OptionalSession = Annotated[SignedIn | None, Depends(signed_in)]


def _backend(request: Request, client: HttpClientDep, user: SignedIn | None) -> Backend:
    return Backend(current_settings(request), client, token=user.token if user else None, client_ip=client_ip(request))


async def enterprise_backend(request: Request, client: HttpClientDep, user: EnterpriseSession) -> Backend:
    return _backend(request, client, user)


async def user_backend(request: Request, client: HttpClientDep, user: UserSession) -> Backend:
    return _backend(request, client, user)


async def operator_backend(request: Request, client: HttpClientDep, user: OperatorSession) -> Backend:
    return _backend(request, client, user)


async def anonymous_backend(request: Request, client: HttpClientDep) -> Backend:
    return _backend(request, client, None)


async def optional_backend(request: Request, client: HttpClientDep, user: OptionalSession) -> Backend:
    return _backend(request, client, user)


EnterpriseBackend = Annotated[Backend, Depends(enterprise_backend)]
OperatorBackend = Annotated[Backend, Depends(operator_backend)]
UserBackend = Annotated[Backend, Depends(user_backend)]
AnonymousBackend = Annotated[Backend, Depends(anonymous_backend)]
OptionalBackend = Annotated[Backend, Depends(optional_backend)]


# CSRF: double submit. The token lives in an HttpOnly cookie and in every form the portal renders; a
# post counts only when both match. Another site can make the browser send the cookie, never read it.
def csrf_token(request: Request) -> str:
    """The token for this page's forms: the cookie's, or a new one that the response will set."""
    existing = getattr(request.state, "csrf_token", None)
    if existing:
        return str(existing)
    token = request.cookies.get(CSRF_COOKIE) or ""
    if len(token) < CSRF_BYTES:
        token = secrets.token_urlsafe(CSRF_BYTES)
        request.state.new_csrf_token = token
    request.state.csrf_token = token
    return token


def rotate_csrf(request: Request) -> str:
    """A fresh token (at login), so one planted before the login is worth nothing after it."""
    token = secrets.token_urlsafe(CSRF_BYTES)
    request.state.csrf_token = token
    request.state.new_csrf_token = token
    return token


def store_csrf_cookie(request: Request, response: Response) -> None:
    token = getattr(request.state, "new_csrf_token", None)
    if token:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            max_age=CSRF_MAX_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=_secure(request, current_settings(request)),
        )


def _same_origin(request: Request) -> bool:
    # Browsers send Origin with every POST; when present it must be this site.
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a post whose token is missing or differs from the cookie's, or that comes from another origin."""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    if not cookie or not submitted or not hmac.compare_digest(cookie.encode(), submitted.encode()):
        raise CsrfRefused()
    if not _same_origin(request):
        raise CsrfRefused()
