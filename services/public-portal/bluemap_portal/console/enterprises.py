"""The admin's directory of enterprises: search, register, edit, and registered emails by confirmed change."""

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bluemap_portal.console.admin import AdminBackend, AdminSession, field_errors, optional, shown, text
from bluemap_portal.site.i18n import N_
from bluemap_portal.workspace.backend import ApiProblem, Backend
from bluemap_portal.workspace.messages import Message
from bluemap_portal.workspace.rendering import render_page, see_other
from bluemap_portal.workspace.session import CSRF_FIELD, check_csrf

router = APIRouter(prefix="/console/enterprises")

PAGE_SIZE = 50
STATUSES = ("active", "suspended", "closed")
EDITABLE = ("name", "name_en", "region_code", "industry", "status")
DONE: dict[str, str] = {
    "created": N_("The enterprise was registered."),
    "saved": N_("The changes were saved."),
    "email-change": N_(
        "A confirmation link was emailed to the new address; the change takes effect once it is followed."
    ),
}


def _done(request: Request) -> str | None:
    return DONE.get(request.query_params.get("done", ""))


@router.get("", response_class=HTMLResponse)
async def enterprises(
    request: Request, user: AdminSession, backend: AdminBackend, q: str = "", cursor: str | None = None
) -> HTMLResponse:
    """The tenant's enterprises: by a part of the name, or by the exact USCC (18 characters)."""
    query = q.strip()[:100]
    error: Message | None = None
    page: dict[str, Any] = {"items": [], "next_cursor": None}
    try:
        if len(query) == 18 and query.isalnum():
            page = await backend.get("records", "/v1/enterprises", uscc=query)
        else:
            page = await backend.get("records", "/v1/enterprises", q=query or None, cursor=cursor, limit=PAGE_SIZE)
    except ApiProblem as problem:
        if problem.status != 422:
            raise
        error = field_errors(problem).popitem()[1]
    return render_page(
        request,
        "console/enterprises.html",
        enterprises=page["items"],
        next_cursor=page.get("next_cursor"),
        q=query,
        error=error,
        done=_done(request),
    )


def _new_page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, Message] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render_page(
        request, "console/enterprise_new.html", status_code=status, values=values or {}, errors=errors or {}
    )


@router.get("/new", response_class=HTMLResponse)
async def new_enterprise(request: Request, user: AdminSession) -> HTMLResponse:
    """The form to register an enterprise."""
    return _new_page(request)


@router.post("/new", response_class=HTMLResponse)
async def create_enterprise(request: Request, user: AdminSession, backend: AdminBackend) -> Response:
    """Register the enterprise (EnterpriseRegistered); the records service checks the USCC and the addresses."""
    async with request.form(max_files=0, max_fields=20) as form:
        check_csrf(request, text(form, CSRF_FIELD, 200))
        emails = [e for e in (line.strip() for line in text(form, "registered_emails").splitlines()) if e]
        body = {
            "uscc": text(form, "uscc", 40),
            "name": text(form, "name", 400),
            "name_en": optional(form, "name_en", 600),
            "region_code": optional(form, "region_code", 20),
            "industry": optional(form, "industry", 400),
            "registered_emails": emails,
        }
    try:
        created = await backend.post("records", "/v1/enterprises", body)
    except ApiProblem as problem:
        values = shown(body) | {"registered_emails": "\n".join(emails)}
        return _new_page(request, values=values, errors=field_errors(problem), status=problem.status)
    return see_other(request, f"/console/enterprises/{created['id']}", done="created")


async def _enterprise_page(
    request: Request,
    backend: Backend,
    enterprise_id: UUID,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, Message] | None = None,
    status: int = 200,
) -> HTMLResponse:
    enterprise, changes, records = await asyncio.gather(
        backend.get("records", f"/v1/enterprises/{enterprise_id}"),
        backend.get("records", f"/v1/enterprises/{enterprise_id}/email-changes"),
        backend.get("records", "/v1/records", enterprise_id=str(enterprise_id), limit=100),
    )
    return render_page(
        request,
        "console/enterprise.html",
        status_code=status,
        enterprise=enterprise,
        email_changes=changes,
        records=records["items"],
        values=values or shown({k: enterprise.get(k) for k in EDITABLE}),
        errors=errors or {},
        statuses=STATUSES,
        done=_done(request),
    )


@router.get("/{enterprise_id}", response_class=HTMLResponse)
async def enterprise(request: Request, enterprise_id: UUID, user: AdminSession, backend: AdminBackend) -> Response:
    """One enterprise: its entry to edit, its registered emails, its records."""
    return await _enterprise_page(request, backend, enterprise_id)


@router.post("/{enterprise_id}", response_class=HTMLResponse)
async def edit_enterprise(request: Request, enterprise_id: UUID, user: AdminSession, backend: AdminBackend) -> Response:
    """Save the entry (EnterpriseUpdated on a real change); emptied optional fields are cleared."""
    async with request.form(max_files=0, max_fields=20) as form:
        check_csrf(request, text(form, CSRF_FIELD, 200))
        body = {
            "name": text(form, "name", 400),
            "name_en": optional(form, "name_en", 600),
            "region_code": optional(form, "region_code", 20),
            "industry": optional(form, "industry", 400),
        }
        if status := text(form, "status", 20):
            body["status"] = status
    try:
        await backend.call("records", "PATCH", f"/v1/enterprises/{enterprise_id}", json=body)
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        return await _enterprise_page(
            request, backend, enterprise_id, values=shown(body), errors=field_errors(problem), status=problem.status
        )
    return see_other(request, f"/console/enterprises/{enterprise_id}", done="saved")


@router.post("/{enterprise_id}/email-changes", response_class=HTMLResponse)
async def change_email(request: Request, enterprise_id: UUID, user: AdminSession, backend: AdminBackend) -> Response:
    """Ask for a registered email to be added or replaced: a link goes to the new address to confirm it."""
    async with request.form(max_files=0, max_fields=10) as form:
        check_csrf(request, text(form, CSRF_FIELD, 200))
        body = {"new_email": text(form, "new_email", 320), "replaces": optional(form, "replaces", 320)}
    try:
        await backend.post("records", f"/v1/enterprises/{enterprise_id}/email-changes", body)
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        errors = {("new_email" if k == "form" else k): v for k, v in field_errors(problem).items()}
        return await _enterprise_page(request, backend, enterprise_id, errors=errors, status=problem.status)
    return see_other(request, f"/console/enterprises/{enterprise_id}", fragment="emails", done="email-change")
