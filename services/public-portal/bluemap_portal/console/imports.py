"""The admin's imports: upload a file (progress bar), follow a long one live, rejected rows, errors.csv, history."""

import secrets
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bluemap_portal.console.admin import AdminBackend, AdminSession
from bluemap_portal.settings import PortalSettings, SettingsDep
from bluemap_portal.site.app import CONTENT_SECURITY_POLICY
from bluemap_portal.site.i18n import N_
from bluemap_portal.workspace.backend import ApiProblem, Backend
from bluemap_portal.workspace.messages import Message, problem_message, too_large
from bluemap_portal.workspace.rendering import render_page, see_other
from bluemap_portal.workspace.session import check_csrf
from bluemap_shared.body_limit import MULTIPART_OVERHEAD, large_body

router = APIRouter(prefix="/console/imports")

# The rejected rows shown on the page; errors.csv has every one.
SHOWN_ERRORS = 200
# While an import runs its page reloads itself this often (seconds): live counts without a script.
REFRESH_SECONDS = 2


def import_form(settings: PortalSettings) -> int:
    """Body limit of the import form (`@large_body`): the records service's own limit and the multipart framing."""
    return settings.import_max_upload_bytes + MULTIPART_OVERHEAD


def _with_progress_script(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page with a nonce for its one inline script (the upload's progress bar); the form works without it."""
    nonce = secrets.token_urlsafe(16)
    response = render_page(request, template, status_code=status_code, nonce=nonce, **context)
    response.headers["Content-Security-Policy"] = (
        f"{CONTENT_SECURITY_POLICY}; script-src 'nonce-{nonce}'; connect-src 'self'"
    )
    return response


async def _imports_page(
    request: Request, backend: Backend, *, error: Message | None = None, status_code: int = 200
) -> HTMLResponse:
    history = await backend.get("records", "/v1/imports", limit=100)
    return _with_progress_script(request, "console/imports.html", status_code=status_code, imports=history, error=error)


@router.get("", response_class=HTMLResponse)
async def imports(request: Request, user: AdminSession, backend: AdminBackend) -> HTMLResponse:
    """The upload form and the tenant's imports, latest first."""
    return await _imports_page(request, backend)


@router.post("", response_class=HTMLResponse)
@large_body(import_form)
async def upload(
    request: Request, user: AdminSession, backend: AdminBackend, settings: SettingsDep, csrf_token: str = ""
) -> Response:
    """The multipart body goes straight on to the records service; a long import goes on as a job we follow."""
    # The body is not parsed here, so the form's token comes in the query string.
    check_csrf(request, csrf_token)
    content_type = request.headers.get("content-type", "")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > import_form(settings):
        return await _imports_page(request, backend, error=too_large(settings.import_max_upload_bytes), status_code=413)
    if not content_type.lower().startswith("multipart/form-data"):
        return await _imports_page(
            request, backend, error=Message(N_("Please choose a CSV or JSON Lines file.")), status_code=400
        )
    try:
        result = await backend.stream_upload(
            "records",
            "/v1/imports",
            request.stream(),
            content_type=content_type,
            length=declared,
            timeout=settings.import_timeout_seconds,
        )
    except ApiProblem as problem:
        if problem.type == "invalid-input" and problem.detail:
            error = Message(N_("The file was not imported: %(detail)s"), {"detail": problem.detail})
        else:
            error = problem_message(problem, max_upload_bytes=settings.import_max_upload_bytes)
        return await _imports_page(request, backend, error=error, status_code=problem.status)
    return see_other(request, f"/console/imports/{result['id']}")


@router.get("/{import_id}", response_class=HTMLResponse)
async def one_import(request: Request, import_id: UUID, user: AdminSession, backend: AdminBackend) -> HTMLResponse:
    """An import's counts (live while it runs), its rejected rows with line, column and reason, errors.csv."""
    result = await backend.get("records", f"/v1/imports/{import_id}")
    response = render_page(
        request,
        "console/import.html",
        result=result,
        errors=result["errors"][:SHOWN_ERRORS],
        more_errors=len(result["errors"]) > SHOWN_ERRORS or result["errors_truncated"],
        running=result["status"] == "running",
    )
    if result["status"] == "running":
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@router.get("/{import_id}/errors.csv")
async def errors_csv(import_id: UUID, user: AdminSession, backend: AdminBackend) -> Response:
    """The rejected rows as the records service writes them (UTF-8 with BOM), downloaded with the admin's token."""
    return await backend.file("records", f"/v1/imports/{import_id}/errors.csv")
