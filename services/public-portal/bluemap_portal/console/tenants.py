"""Tenants: the platform operator lists, creates (with the first admin), edits, suspends and resumes them; a
tenant's admin edits its own settings, hostnames aside.

The records service's tenant registry (/v1/tenants) does the work; these pages only fill and read its forms.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from bluemap_portal.console.admin import (
    AdminBackend,
    AdminSession,
    PlatformOperatorBackend,
    PlatformOperatorSession,
    field_errors,
    shown,
    text,
)
from bluemap_portal.site.i18n import N_
from bluemap_portal.workspace.backend import ApiProblem, Backend
from bluemap_portal.workspace.messages import Message
from bluemap_portal.workspace.rendering import render_page, see_other
from bluemap_portal.workspace.session import CSRF_FIELD, check_csrf
from bluemap_shared.events.catalog import TENANT_ID_PATTERN

router = APIRouter()

TENANTS = "/console/tenants"
TENANT_SETTINGS = "/console/tenant-settings"
LANGUAGES = ("zh", "en")
# What a tenant's admin may change of its own tenant; the platform operator also changes hostnames.
SETTINGS = (
    "name_zh",
    "name_en",
    "default_language",
    "mail_sender_name",
    "mail_sender_address",
    "staff_email",
    "logo_url",
    "brand_colour",
)
# Fields that may be left empty: sent as null, which clears them.
CLEARABLE = ("staff_email", "logo_url")
FIRST_ADMIN = ("email", "password", "display_name", "locale")
MAX_HOSTS_TEXT = 20 * 254
TenantAction = Literal["suspend", "resume"]
TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, max_length=64)]
DONE: dict[str, str] = {
    "created": N_("The tenant was created; its first admin can sign in on its hostnames."),
    "saved": N_("The changes were saved; every service uses them at once."),
    "suspend": N_("The tenant was suspended: its site and API answer 503 until it is resumed."),
    "resume": N_("The tenant is active again."),
}


def _done(request: Request) -> str | None:
    return DONE.get(request.query_params.get("done", ""))


def _settings_of(form: FormData) -> dict[str, str]:
    values = {name: text(form, name, 2000) for name in SETTINGS}
    values["default_language"] = values["default_language"] or "zh"
    return values


def _body(values: dict[str, str]) -> dict[str, Any]:
    """The registry's fields from the form's; an empty optional field clears it."""
    body: dict[str, Any] = {name: values[name] for name in SETTINGS}
    for name in CLEARABLE:
        body[name] = body[name] or None
    if not body["brand_colour"]:
        del body["brand_colour"]
    return body


def _hostnames(value: str) -> list[str]:
    """One hostname per line (or separated by spaces or commas)."""
    return [host for host in value.replace(",", " ").split() if host]


# --- the platform operator's pages -------------------------------------------------------------------------------


@router.get(TENANTS, response_class=HTMLResponse)
async def tenants(request: Request, user: PlatformOperatorSession, backend: PlatformOperatorBackend) -> HTMLResponse:
    """Every tenant of the platform with its hostnames and status."""
    listed = await backend.get("records", "/v1/tenants")
    return render_page(request, "console/tenants.html", tenants=listed, done=_done(request))


def _new_page(
    request: Request,
    values: dict[str, str] | None = None,
    errors: dict[str, Message] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render_page(
        request,
        "console/tenant_form.html",
        status_code=status,
        mode="new",
        tenant=None,
        languages=LANGUAGES,
        values=values or {"default_language": "zh", "first_admin_locale": "zh", "brand_colour": "#0b5cab"},
        errors=errors or {},
        done=None,
    )


@router.get(f"{TENANTS}/new", response_class=HTMLResponse)
async def new_tenant(request: Request, user: PlatformOperatorSession) -> HTMLResponse:
    """The form of a new tenant and its first admin."""
    return _new_page(request)


@router.post(f"{TENANTS}/new", response_class=HTMLResponse)
async def create_tenant(request: Request, user: PlatformOperatorSession, backend: PlatformOperatorBackend) -> Response:
    """POST /v1/tenants: the tenant and its first admin (TenantConfigured)."""
    async with request.form(max_files=0, max_fields=30) as form:
        check_csrf(request, text(form, CSRF_FIELD, 200))
        values = _settings_of(form)
        values["id"] = text(form, "id", 64)
        values["hostnames"] = text(form, "hostnames", MAX_HOSTS_TEXT)
        for name in FIRST_ADMIN:
            values[f"first_admin_{name}"] = text(form, f"first_admin_{name}", 320 if name == "email" else 200)
    body = {"id": values["id"], **_body(values), "hostnames": _hostnames(values["hostnames"])}
    body["first_admin"] = {name: values[f"first_admin_{name}"] for name in FIRST_ADMIN}
    body["first_admin"]["locale"] = body["first_admin"]["locale"] or "zh"
    try:
        created = await backend.post("records", "/v1/tenants", body)
    except ApiProblem as problem:
        errors = field_errors(problem, nested=("first_admin",))
        shown_values = shown(values) | {"first_admin_password": ""}  # a password is never sent back to the page
        return _new_page(request, shown_values, errors, status=problem.status)
    return see_other(request, f"{TENANTS}/{created['id']}", done="created")


async def _tenant_page(
    request: Request,
    backend: Backend,
    tenant_id: str,
    *,
    mode: Literal["edit", "settings"],
    values: dict[str, str] | None = None,
    errors: dict[str, Message] | None = None,
    status: int = 200,
) -> HTMLResponse:
    tenant = await backend.get("records", f"/v1/tenants/{tenant_id}")
    if values is None:
        values = shown({name: tenant.get(name) for name in SETTINGS})
        values["hostnames"] = "\n".join(tenant.get("hostnames") or [])
    return render_page(
        request,
        "console/tenant_form.html",
        status_code=status,
        mode=mode,
        tenant=tenant,
        languages=LANGUAGES,
        values=values,
        errors=errors or {},
        done=_done(request),
    )


@router.get(TENANTS + "/{tenant_id}", response_class=HTMLResponse)
async def tenant(
    request: Request, user: PlatformOperatorSession, backend: PlatformOperatorBackend, tenant_id: TenantId
) -> HTMLResponse:
    """A tenant's settings and hostnames, with suspend or resume."""
    return await _tenant_page(request, backend, tenant_id, mode="edit")


@router.post(TENANTS + "/{tenant_id}", response_class=HTMLResponse)
async def edit_tenant(
    request: Request, user: PlatformOperatorSession, backend: PlatformOperatorBackend, tenant_id: TenantId
) -> Response:
    """PATCH /v1/tenants/{id} with every setting and the hostnames."""
    async with request.form(max_files=0, max_fields=20) as form:
        check_csrf(request, text(form, CSRF_FIELD, 200))
        values = _settings_of(form)
        values["hostnames"] = text(form, "hostnames", MAX_HOSTS_TEXT)
    body = _body(values) | {"hostnames": _hostnames(values["hostnames"])}
    try:
        await backend.call("records", "PATCH", f"/v1/tenants/{tenant_id}", json=body)
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        errors = field_errors(problem)
        return await _tenant_page(
            request, backend, tenant_id, mode="edit", values=values, errors=errors, status=problem.status
        )
    return see_other(request, f"{TENANTS}/{tenant_id}", done="saved")


@router.post(TENANTS + "/{tenant_id}/{action}", response_class=HTMLResponse)
async def suspend_or_resume(
    request: Request,
    action: TenantAction,
    user: PlatformOperatorSession,
    backend: PlatformOperatorBackend,
    tenant_id: TenantId,
) -> Response:
    """POST /v1/tenants/{id}/suspend (with the reason) or /resume."""
    async with request.form(max_files=0, max_fields=5) as form:
        check_csrf(request, text(form, CSRF_FIELD, 200))
        reason = text(form, "reason", 2000)
    body = {"reason": reason} if action == "suspend" else None
    try:
        await backend.post("records", f"/v1/tenants/{tenant_id}/{action}", body)
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        errors: dict[str, Message] = {str(action): field_errors(problem).popitem()[1]}
        return await _tenant_page(request, backend, tenant_id, mode="edit", errors=errors, status=problem.status)
    return see_other(request, f"{TENANTS}/{tenant_id}", done=action)


# --- the tenant admin's settings -----------------------------------------------------------------------------------


@router.get(TENANT_SETTINGS, response_class=HTMLResponse)
async def tenant_settings(request: Request, user: AdminSession, backend: AdminBackend) -> HTMLResponse:
    """The admin's own tenant: names, language, mail sender, staff email, logo, colour; hostnames to read."""
    return await _tenant_page(request, backend, user.principal.tenant_id, mode="settings")


@router.post(TENANT_SETTINGS, response_class=HTMLResponse)
async def save_tenant_settings(request: Request, user: AdminSession, backend: AdminBackend) -> Response:
    """PATCH /v1/tenants/{own id} without hostnames, which only the platform operator changes."""
    async with request.form(max_files=0, max_fields=20) as form:
        check_csrf(request, text(form, CSRF_FIELD, 200))
        values = _settings_of(form)
    tenant_id = user.principal.tenant_id
    try:
        await backend.call("records", "PATCH", f"/v1/tenants/{tenant_id}", json=_body(values))
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        errors = field_errors(problem)
        return await _tenant_page(
            request, backend, tenant_id, mode="settings", values=values, errors=errors, status=problem.status
        )
    return see_other(request, TENANT_SETTINGS, done="saved")
