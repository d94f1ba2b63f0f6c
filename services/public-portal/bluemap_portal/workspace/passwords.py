"""Passwords from the portal: set one from an invitation, forget and reset it by a mailed link, change it signed in.

The records service owns the policy and the links; these pages carry forms to its API and put its refusals
next to the right field. The link pages set a password only when their form is posted, so a mail scanner
that fetches the link spends nothing.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from bluemap_portal.site.i18n import N_
from bluemap_portal.tenancy import TenantDep
from bluemap_portal.workspace.backend import ApiProblem
from bluemap_portal.workspace.messages import Message, problem_message
from bluemap_portal.workspace.rendering import render_page, see_other
from bluemap_portal.workspace.session import AnonymousBackend, UserBackend, UserSession, check_csrf

router = APIRouter()

# The records service's policy (bluemap_records.identity.policy): checked here first to say it in the page's language.
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD = 200
MAX_EMAIL = 320
MAX_TOKEN = 200
# The token is in the link pages' address: it must not leave in a Referer header. Not no-referrer: Chromium then
# sends `Origin: null` with the page's form, which the CSRF check refuses.
SAME_ORIGIN_REFERRER = {"Referrer-Policy": "same-origin"}
LinkKind = Literal["invite", "reset"]

TOO_SHORT = N_("A password needs at least %(count)s characters.")
TOO_EASY = N_(
    "This password is too easy to guess (a common password, or one like it). "
    "Please use a longer one with words or characters nobody would expect."
)
NOT_THE_SAME = N_("The two passwords are not the same.")
WRONG_CURRENT = N_("The current password is wrong.")
UNCHANGED = N_("The new password is the same as the current one.")
_LINK_REFUSED: dict[str | None, str] = {
    "unknown": N_("This link is not valid. Please check that you opened the whole link from the email."),
    "used": N_("This link has been used already, or a newer email replaced it."),
    "expired": N_("This link has expired. Please ask for a new one."),
    "disabled": N_("This account is disabled. Please contact the operator."),
}
TITLES: dict[LinkKind, str] = {"invite": N_("Set your password"), "reset": N_("Choose a new password")}


def _new_password_errors(password: str, repeated: str, *, field: str = "password") -> dict[str, Message]:
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        return {field: Message(TOO_SHORT, {"count": MIN_PASSWORD_LENGTH})}
    if password != repeated:
        return {"repeat": Message(NOT_THE_SAME)}
    return {}


def _field_errors(problem: ApiProblem, fields: dict[str, str]) -> dict[str, Message]:
    """The service's per-field refusals (422 `errors`), on the page's fields: fields maps API field to form field."""
    errors: dict[str, Message] = {}
    for error in problem.extensions.get("errors") or []:
        location = (error.get("location") or []) if isinstance(error, dict) else []
        name = str(location[-1]) if location else ""
        if name in fields:
            kind = error.get("type")
            text = WRONG_CURRENT if kind == "wrong" else UNCHANGED if kind == "unchanged" else TOO_EASY
            errors.setdefault(fields[name], Message(text))
    return errors


def _private(response: Response) -> Response:
    response.headers.update(SAME_ORIGIN_REFERRER)
    return response


def _link_page(
    request: Request, kind: LinkKind, token: str, *, errors: dict[str, Message] | None = None, status_code: int = 200
) -> HTMLResponse:
    action = "/set-password" if kind == "invite" else "/reset-password"
    page = render_page(
        request,
        "workspace/password_link.html",
        status_code=status_code,
        title=TITLES[kind],
        kind=kind,
        action=action,
        token=token,
        errors=errors or {},
        min_length=MIN_PASSWORD_LENGTH,
    )
    return _private(page)  # type: ignore[return-value]


async def _set_by_link(
    request: Request, backend: Any, kind: LinkKind, token: str, password: str, repeat: str, csrf_token: str
) -> Response:
    check_csrf(request, csrf_token)
    errors = _new_password_errors(password, repeat)
    if not token:
        errors["token"] = Message(_LINK_REFUSED["unknown"])
    if not errors:
        try:
            await backend.call("records", "POST", "/v1/auth/password-link", json={"token": token, "password": password})
        except ApiProblem as problem:
            if problem.status in (404, 410):
                errors["token"] = Message(_LINK_REFUSED.get(problem.reason, _LINK_REFUSED["unknown"]))
            else:
                errors = _field_errors(problem, {"password": "password"}) or {"password": problem_message(problem)}
        else:
            return _private(see_other(request, "/login", password_set="1"))
    return _link_page(request, kind, token, errors=errors, status_code=400)


@router.get("/set-password", response_class=HTMLResponse)
async def set_password_form(request: Request, token: str = "") -> Response:
    """The invitation link's page: the invitee chooses a password."""
    return _link_page(request, "invite", token[:MAX_TOKEN])


@router.post("/set-password", response_class=HTMLResponse)
async def set_password(
    request: Request,
    backend: AnonymousBackend,
    token: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
    repeat: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    return await _set_by_link(request, backend, "invite", token, password, repeat, csrf_token)


@router.get("/reset-password", response_class=HTMLResponse)
async def reset_password_form(request: Request, token: str = "") -> Response:
    """The reset link's page: a new password for the account."""
    return _link_page(request, "reset", token[:MAX_TOKEN])


@router.post("/reset-password", response_class=HTMLResponse)
async def reset_password(
    request: Request,
    backend: AnonymousBackend,
    token: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
    repeat: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    return await _set_by_link(request, backend, "reset", token, password, repeat, csrf_token)


@router.get("/forgot-password", response_class=HTMLResponse)
async def forgot_password_form(request: Request) -> Response:
    """Ask for a reset link by email."""
    return render_page(request, "workspace/forgot_password.html", email="", errors={}, sent=False)


@router.post("/forgot-password", response_class=HTMLResponse)
async def forgot_password(
    request: Request,
    backend: AnonymousBackend,
    tenant_id: TenantDep,
    email: Annotated[str, Form(max_length=MAX_EMAIL + 80)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Ask records to mail a link; the page says the same whether or not the address has an account."""
    check_csrf(request, csrf_token)
    email = email.strip()
    errors: dict[str, Message] = {}
    if "@" not in email or len(email) > MAX_EMAIL:
        errors["email"] = Message(N_("Please enter your email address."))
    else:
        try:
            await backend.call("records", "POST", "/v1/auth/password-reset", json={"email": email, "tenant": tenant_id})
        except ApiProblem:
            errors["email"] = Message(N_("Please enter your email address."))
    if errors:
        page = render_page(request, "workspace/forgot_password.html", status_code=400, email=email, errors=errors)
        return page
    return render_page(request, "workspace/forgot_password.html", email=email, errors={}, sent=True)


@router.get("/workspace/password", response_class=HTMLResponse)
async def change_password_form(request: Request, user: UserSession, done: str = "") -> Response:
    """The signed-in user's password change (enterprise staff and the operator's staff alike)."""
    return render_page(request, "workspace/change_password.html", errors={}, done=bool(done))


@router.post("/workspace/password", response_class=HTMLResponse)
async def change_password(
    request: Request,
    user: UserSession,
    backend: UserBackend,
    current: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
    repeat: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Change the password with the current one; the user's other sessions end, this one goes on."""
    check_csrf(request, csrf_token)
    errors: dict[str, Message] = {}
    if not current:
        errors["current"] = Message(N_("Please enter your current password."))
    errors.update(_new_password_errors(password, repeat))
    if not errors:
        try:
            await backend.call(
                "records", "POST", "/v1/auth/password", json={"current_password": current, "new_password": password}
            )
        except ApiProblem as problem:
            errors = _field_errors(problem, {"current_password": "current", "new_password": "password"}) or {
                "password": problem_message(problem)
            }
        else:
            return see_other(request, "/workspace/password", done="1")
    return render_page(request, "workspace/change_password.html", status_code=400, errors=errors, done=False)
