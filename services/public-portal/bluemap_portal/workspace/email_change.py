"""Changing the enterprise's registered email: the form on Account Management, and the page the mailed link opens.

The change is asked for by signed-in enterprise staff and confirmed by whoever reads the new mailbox: the
link's page works signed in or not (the link may be opened on a phone with no session), and it confirms
only when its button is pressed, so a mail scanner that fetches links changes nothing.
"""

import asyncio
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from bluemap_portal.site.i18n import N_
from bluemap_portal.workspace.backend import ApiProblem
from bluemap_portal.workspace.menu import MENU
from bluemap_portal.workspace.messages import Message, problem_message
from bluemap_portal.workspace.rendering import render_page, see_other
from bluemap_portal.workspace.session import (
    CSRF_FIELD,
    AnonymousBackend,
    EnterpriseBackend,
    EnterpriseSession,
    OptionalSession,
    check_csrf,
)

router = APIRouter(prefix="/workspace")

MAX_EMAIL_FIELD = 400  # above any address's 320 characters, so the records API says what is wrong

_REFUSED: dict[tuple[str, str | None], str] = {
    ("conflict", "already-registered"): N_("This address is already registered for your enterprise."),
    ("invalid-input", "not-registered"): N_("Please choose one of the registered addresses to replace."),
    ("too-many-requests", None): N_("You asked for too many changes in the last hour. Please try again later."),
}
_LINK_REFUSED: dict[str | None, str] = {
    "unknown": N_("This confirmation link is not valid. Please check that you opened the whole link from the email."),
    "used": N_("This confirmation link has been used already: the change was made."),
    "superseded": N_("A newer change was asked for after this one; please use the link in the most recent email."),
    "expired": N_("This confirmation link has expired. Please ask for the change again on Account Management."),
}
NO_REFERRER = {"Referrer-Policy": "no-referrer"}


def _private(response: Response) -> Response:
    # The token is in this page's address: it must not leave in a Referer header.
    response.headers.update(NO_REFERRER)
    return response


async def account_page(
    request: Request,
    user: EnterpriseSession,
    backend: EnterpriseBackend,
    *,
    done: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, Message] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Account Management: the directory entry, the registered emails with the change form, and the login."""
    enterprise_id = user.principal.enterprise_id
    enterprise, pending = await asyncio.gather(
        backend.get("records", f"/v1/enterprises/{enterprise_id}"),
        backend.get("records", f"/v1/enterprises/{enterprise_id}/email-changes"),
    )
    return render_page(
        request,
        "workspace/account.html",
        status_code=status_code,
        enterprise=enterprise,
        pending=pending[0] if pending else None,
        sent=done == "email-change-sent",
        values=values or {"new_email": "", "replaces": ""},
        errors=errors or {},
        menu=MENU,
        active="account",
    )


@router.post("/account/email")
async def request_email_change(
    request: Request,
    user: EnterpriseSession,
    backend: EnterpriseBackend,
    new_email: str = Form(default="", max_length=MAX_EMAIL_FIELD),
    replaces: str = Form(default="", max_length=MAX_EMAIL_FIELD),
    csrf_token: str = Form(default="", alias=CSRF_FIELD),
) -> Response:
    """Ask records to mail a confirmation link to the new address; nothing changes until it is followed."""
    check_csrf(request, csrf_token)
    values = {"new_email": new_email.strip(), "replaces": replaces.strip()}
    if not values["new_email"]:
        errors = {"new_email": Message(N_("Please enter the new email address."))}
        return await account_page(request, user, backend, values=values, errors=errors, status_code=422)
    body: dict[str, Any] = {"new_email": values["new_email"]}
    if values["replaces"]:
        body["replaces"] = values["replaces"]
    try:
        await backend.post("records", f"/v1/enterprises/{user.principal.enterprise_id}/email-changes", body)
    except ApiProblem as problem:
        if problem.status not in (409, 422, 429):
            raise
        return await account_page(
            request,
            user,
            backend,
            values=values,
            errors=_form_errors(problem),
            status_code=problem.status,
        )
    return see_other(request, "/workspace/account", fragment="registered-emails", done="email-change-sent")


def _form_errors(problem: ApiProblem) -> dict[str, Message]:
    """Where the form shows why records refused the request."""
    known = _REFUSED.get((problem.type, problem.reason)) or _REFUSED.get((problem.type, None))
    if known is not None:
        field = "replaces" if problem.reason == "not-registered" else "new_email"
        return {field: Message(known)}
    if problem.status == 422:
        wrong = {str((e.get("location") or ["", ""])[-1]) for e in problem.extensions.get("errors") or []}
        field = "replaces" if wrong == {"replaces"} else "new_email"
        return {field: Message(N_("Please enter a valid email address, such as name@example.com."))}
    return {"new_email": problem_message(problem)}


@router.get("/email-change/confirm", response_class=HTMLResponse)
async def confirm_page(request: Request, user: OptionalSession, token: str = "") -> Response:
    """The page the mailed link opens: one button that confirms the new address."""
    return _private(render_page(request, "workspace/email_change.html", token=token, outcome="ask"))


@router.post("/email-change/confirm", response_class=HTMLResponse)
async def confirm(
    request: Request,
    user: OptionalSession,
    backend: AnonymousBackend,
    token: str = Form(default="", max_length=400),
    csrf_token: str = Form(default="", alias=CSRF_FIELD),
) -> Response:
    """Confirm with the link's token (records checks it); the outcome, success or why not, on this page."""
    check_csrf(request, csrf_token)
    try:
        confirmed = await backend.post("records", "/v1/enterprises/email-changes/confirm", {"token": token.strip()})
    except ApiProblem as problem:
        reason = problem.reason if problem.status in (404, 410) else "unknown"
        message = Message(_LINK_REFUSED.get(reason, _LINK_REFUSED["unknown"]))
        status = problem.status if problem.status in (404, 410) else 400
        page = render_page(
            request, "workspace/email_change.html", status_code=status, outcome="refused", message=message
        )
        return _private(page)
    page = render_page(request, "workspace/email_change.html", outcome="confirmed", confirmed=confirmed)
    return _private(page)
