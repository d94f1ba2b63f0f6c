"""The admin's users: the tenant's logins, invite by email, disable and re-enable, change roles.

The records service's identity API (GET/PATCH /v1/users, POST /v1/users/invitations) does the work; a service
that does not offer it yet answers 404 or 405, and the page says so instead of failing.
"""

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bluemap_portal.console.admin import AdminBackend, AdminSession, field_errors, text, uuid_or_none
from bluemap_portal.site.i18n import N_
from bluemap_portal.workspace.backend import ApiProblem, Backend
from bluemap_portal.workspace.messages import Message
from bluemap_portal.workspace.rendering import render_page, see_other
from bluemap_portal.workspace.session import CSRF_FIELD, check_csrf

router = APIRouter(prefix="/console/users")

ROLES = ("admin", "reviewer", "enterprise")
UserAction = Literal["disable", "enable", "role"]
NOT_OFFERED = Message(N_("The records service does not offer this yet (users' lifecycle API)."))
DONE: dict[str, str] = {
    "invited": N_("The invitation was emailed: the link lets them set their password."),
    "disable": N_("The user was disabled; their sessions end at once."),
    "enable": N_("The user can sign in again."),
    "role": N_("The role was changed; the user signs in again to use it."),
}


def _not_offered(problem: ApiProblem) -> bool:
    """The service has no such route (a router's own 404 or 405), rather than no such user."""
    return problem.status == 405 or (problem.status == 404 and problem.detail == "Not Found")


async def _users_page(
    request: Request,
    backend: Backend,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, Message] | None = None,
    status: int = 200,
) -> HTMLResponse:
    users: list[dict[str, Any]] = []
    unavailable: Message | None = None
    try:
        users = await backend.get("records", "/v1/users", limit=500)
    except ApiProblem as problem:
        if not _not_offered(problem):
            raise
        unavailable = NOT_OFFERED
    return render_page(
        request,
        "console/users.html",
        status_code=status,
        users=users,
        unavailable=unavailable,
        roles=ROLES,
        values=values or {"role": "reviewer"},
        errors=errors or {},
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("", response_class=HTMLResponse)
async def users(request: Request, user: AdminSession, backend: AdminBackend) -> HTMLResponse:
    """The tenant's users with their roles and status, and the invitation form."""
    return await _users_page(request, backend)


@router.post("/invitations", response_class=HTMLResponse)
async def invite(request: Request, user: AdminSession, backend: AdminBackend) -> Response:
    """Invite by email (UserInvited): the user sets their own password by the emailed link."""
    async with request.form(max_files=0, max_fields=10) as form:
        check_csrf(request, text(form, CSRF_FIELD, 200))
        values = {
            "email": text(form, "email", 320),
            "display_name": text(form, "display_name", 200),
            "role": text(form, "role", 20),
            "enterprise_id": text(form, "enterprise_id", 64),
            "locale": text(form, "locale", 5) or "zh",
        }
    body: dict[str, Any] = {
        "email": values["email"],
        "display_name": values["display_name"],
        "roles": [values["role"]],
        "locale": values["locale"],
    }
    if values["role"] == "enterprise":
        enterprise_id = uuid_or_none(values["enterprise_id"])
        if enterprise_id is None:
            errors = {"enterprise_id": Message(N_("An enterprise user needs the id of their enterprise."))}
            return await _users_page(request, backend, values=values, errors=errors, status=422)
        body["enterprise_id"] = str(enterprise_id)
    try:
        await backend.post("records", "/v1/users/invitations", body)
    except ApiProblem as problem:
        errors = {"form": NOT_OFFERED} if _not_offered(problem) else field_errors(problem)
        errors = {("role" if k == "roles" else k): v for k, v in errors.items()}
        return await _users_page(request, backend, values=values, errors=errors, status=problem.status)
    return see_other(request, "/console/users", done="invited")


@router.post("/{user_id}/{action}", response_class=HTMLResponse)
async def change(
    request: Request, user_id: UUID, action: UserAction, user: AdminSession, backend: AdminBackend
) -> Response:
    """Disable, re-enable, or change the role of a user (PATCH /v1/users/{id}); each ends their sessions."""
    async with request.form(max_files=0, max_fields=5) as form:
        check_csrf(request, text(form, CSRF_FIELD, 200))
        role = text(form, "role", 20)
    body: dict[str, Any]
    body = {"roles": [role]} if action == "role" else {"active": action == "enable"}
    try:
        await backend.call("records", "PATCH", f"/v1/users/{user_id}", json=body)
    except ApiProblem as problem:
        errors = (
            {"form": NOT_OFFERED} if _not_offered(problem) else {f"user-{user_id}": field_errors(problem).popitem()[1]}
        )
        return await _users_page(request, backend, errors=errors, status=problem.status)
    return see_other(request, "/console/users", done=action)
