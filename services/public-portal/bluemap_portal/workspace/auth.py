"""Login and logout: the portal asks the records service for a token and keeps it in an HttpOnly cookie."""

from datetime import UTC, datetime
from typing import Annotated

import jwt
import structlog
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from bluemap_portal.site.i18n import N_
from bluemap_portal.site.page_cache import touch_no_pages
from bluemap_portal.tenancy import TenantDep
from bluemap_portal.workspace.backend import ApiProblem, Backend, BackendUnavailable, SessionExpired
from bluemap_portal.workspace.messages import Message, problem_message
from bluemap_portal.workspace.rendering import render_page, see_other
from bluemap_portal.workspace.session import (
    AnonymousBackend,
    OptionalBackend,
    OptionalSession,
    SignedIn,
    check_csrf,
    clear_session,
    rotate_csrf,
    safe_next,
    set_session,
    store_csrf_cookie,
    verify_token,
)
from bluemap_shared.auth import PLATFORM_OPERATOR
from bluemap_shared.db import utcnow
from bluemap_shared.revocation import revoke_sessions

log = structlog.get_logger()

router = APIRouter()

MAX_EMAIL = 320
MAX_PASSWORD = 200
TOO_MANY_ATTEMPTS = N_("Too many failed logins. Please wait %(seconds)s seconds and try again.")


def home_of(user: SignedIn) -> str:
    """Where a user lands after login: the workspace for enterprise staff, the console for reviewers."""
    if user.principal.is_operator:
        return "/console"
    if PLATFORM_OPERATOR in user.principal.roles:
        return "/console/tenants"
    if user.is_enterprise:
        return "/workspace"
    return "/"


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, user: OptionalSession, next: str | None = None) -> Response:
    """The login form; a signed-in user goes on to where they wanted to be."""
    if user is not None and not request.query_params.get("logged_out"):
        return see_other(request, safe_next(next) or home_of(user))
    return render_page(
        request,
        "workspace/login.html",
        next=safe_next(next) or "",
        username="",
        errors={},
        logged_out=bool(request.query_params.get("logged_out")),
        password_set=bool(request.query_params.get("password_set")),
    )


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    backend: AnonymousBackend,
    tenant_id: TenantDep,
    username: Annotated[str, Form(max_length=MAX_EMAIL)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Exchange email and password for a token (records service) and keep it in the session cookie."""
    check_csrf(request, csrf_token)
    username = username.strip()
    errors: dict[str, Message] = {}
    if not username:
        errors["username"] = Message(N_("Please enter your email address."))
    if not password:
        errors["password"] = Message(N_("Please enter your password."))
    if not errors:
        try:
            token = await backend.post_form(
                "records", "/v1/auth/token", {"username": username, "password": password, "tenant": tenant_id}
            )
        except ApiProblem as problem:
            if problem.status == 429:
                # Failed logins of this account or address slow the next ones (records service); the page says so.
                retry_after = _retry_after(problem)
                return _login_page(
                    request,
                    next,
                    username,
                    {"password": Message(TOO_MANY_ATTEMPTS, {"seconds": retry_after})},
                    status_code=429,
                    headers={"Retry-After": str(retry_after)},
                )
            wrong = problem.status in (400, 401, 422)
            errors["password"] = Message(N_("Wrong email or password.")) if wrong else problem_message(problem)
        else:
            access_token = str(token["access_token"])
            user = await verify_token(request, access_token)
            if user is None:
                errors["password"] = Message(N_("Wrong email or password."))
            else:
                response = see_other(request, safe_next(next) or home_of(user))
                set_session(request, response, access_token, int(token.get("expires_in") or 3600))
                rotate_csrf(request)
                store_csrf_cookie(request, response)
                return response
    return _login_page(request, next, username, errors, status_code=400)


def _retry_after(problem: ApiProblem) -> int:
    value = problem.extensions.get("retry_after")
    return value if isinstance(value, int) and value > 0 else 1


def _login_page(
    request: Request,
    next: str,
    username: str,
    errors: dict[str, Message],
    *,
    status_code: int,
    headers: dict[str, str] | None = None,
) -> Response:
    response = render_page(
        request,
        "workspace/login.html",
        status_code=status_code,
        next=safe_next(next) or "",
        username=username,
        errors=errors,
        logged_out=False,
        password_set=False,
    )
    response.headers.update(headers or {})
    return response


@router.post("/logout")
async def logout(
    request: Request,
    user: OptionalSession,
    backend: OptionalBackend,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """End the session server-side: records revokes it for every service, and this portal refuses it at once."""
    check_csrf(request, csrf_token)
    if user is not None:
        await end_session(request, user, backend)
    response = see_other(request, "/login", logged_out="1")
    clear_session(request, response)
    return response


async def end_session(request: Request, user: SignedIn, backend: Backend) -> None:
    """Revoke the user's session at records (SessionsRevoked tells every service) and in the portal's own list.

    The portal's own row makes the cookie unusable here at once, also while records is unreachable: then the
    other services learn of it only when the user's token expires.
    """
    try:
        await backend.call("records", "POST", "/v1/auth/logout")
    except (ApiProblem, SessionExpired, BackendUnavailable) as exc:
        log.warning("portal.logout_not_revoked_at_records", error=type(exc).__name__)
    session_id = user.principal.session_id
    if session_id is None:
        return
    runtime = request.app.state.runtime
    expires = jwt.decode(user.token, options={"verify_signature": False}).get("exp")
    expires_at = datetime.fromtimestamp(int(expires), UTC) if isinstance(expires, int) else utcnow()
    async with runtime.sessionmaker() as session, session.begin():
        await revoke_sessions(
            session, user.principal.tenant_id, user.principal.subject, [session_id], expires_at=expires_at
        )
        touch_no_pages(session)
