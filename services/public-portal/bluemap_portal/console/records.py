"""The admin's records: list, publish, revise, and the lifecycle after an audit (resolve, restore, retract)."""

import asyncio
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bluemap_portal.console.admin import (
    REASON_REQUIRED,
    AdminBackend,
    AdminSession,
    field_errors,
    optional,
    shown,
    text,
    uuid_or_none,
)
from bluemap_portal.record_types import RECORD_TYPES
from bluemap_portal.site.i18n import N_
from bluemap_portal.workspace.backend import ApiProblem, Backend
from bluemap_portal.workspace.messages import Message
from bluemap_portal.workspace.rendering import render_page, see_other
from bluemap_portal.workspace.session import CSRF_FIELD, check_csrf

router = APIRouter(prefix="/console/records")

LifecycleAction = Literal["resolve", "restore", "retract"]
# The records service's statuses (its lifecycle), for the list's filter.
STATUSES = (
    "awaiting_explanation",
    "explanation_submitted",
    "under_review",
    "explained",
    "resolved",
    "restored",
    "published",
)
# Which action a status allows; the records service decides again (409 when it changed meanwhile).
ACTIONS_BY_STATUS: dict[str, tuple[LifecycleAction, ...]] = {"explained": ("resolve",), "resolved": ("restore",)}
CONTENT_FIELDS = ("record_type", "year", "source_title", "issuing_authority", "issued_on", "source_url", "summary")
DONE: dict[str, str] = {
    "published": N_("The record was published."),
    "revised": N_("The correction was saved; the old content is kept in the record's history."),
    "resolve": N_("The record was resolved. The public page and the enterprise show the reason."),
    "restore": N_("The record was restored; a new deadline runs. The enterprise was told why."),
    "retract": N_("The record was withdrawn; it left every list."),
}


def _done(request: Request) -> str | None:
    return DONE.get(request.query_params.get("done", ""))


@router.get("", response_class=HTMLResponse)
async def records(
    request: Request,
    user: AdminSession,
    backend: AdminBackend,
    status: str = "",
    record_type: str = "",
    cursor: str | None = None,
) -> HTMLResponse:
    """The tenant's records, newest issue first, by status and type."""
    page = await backend.get(
        "records",
        "/v1/records",
        status=status if status in STATUSES else None,
        record_type=record_type if record_type in RECORD_TYPES else None,
        cursor=cursor,
        limit=50,
    )
    return render_page(
        request,
        "console/records.html",
        records=page["items"],
        next_cursor=page.get("next_cursor"),
        status=status,
        record_type_code=record_type,
        statuses=STATUSES,
        record_types=RECORD_TYPES.values(),
        done=_done(request),
    )


def _content(form: Any) -> dict[str, Any]:
    return {
        "record_type": text(form, "record_type", 64),
        "year": text(form, "year", 8),
        "source_title": text(form, "source_title", 1000),
        "issuing_authority": text(form, "issuing_authority", 400),
        "issued_on": text(form, "issued_on", 20),
        "source_url": optional(form, "source_url", 4000),
        "summary": optional(form, "summary", 20000),
    }


async def _new_page(
    request: Request,
    backend: Backend,
    enterprise_id: UUID | None,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, Message] | None = None,
    status: int = 200,
) -> HTMLResponse:
    enterprise = await backend.get("records", f"/v1/enterprises/{enterprise_id}") if enterprise_id else None
    return render_page(
        request,
        "console/record_new.html",
        status_code=status,
        enterprise=enterprise,
        values=values or {},
        errors=errors or {},
        record_types=RECORD_TYPES.values(),
    )


@router.get("/new", response_class=HTMLResponse)
async def new_record(
    request: Request, user: AdminSession, backend: AdminBackend, enterprise_id: UUID | None = None
) -> HTMLResponse:
    """The form to publish a record about an enterprise (chosen on its page)."""
    return await _new_page(request, backend, enterprise_id)


@router.post("/new", response_class=HTMLResponse)
async def publish(request: Request, user: AdminSession, backend: AdminBackend) -> Response:
    """Publish the record (RecordPublished); the enterprise is told and, for explainable types, a deadline runs."""
    async with request.form(max_files=0, max_fields=20) as form:
        check_csrf(request, text(form, CSRF_FIELD, 200))
        enterprise_id = uuid_or_none(text(form, "enterprise_id", 64))
        body = _content(form) | {"external_id": optional(form, "external_id", 400)}
    if enterprise_id is None:
        raise ApiProblem(400, "bad-request")
    try:
        created = await backend.post("records", "/v1/records", body | {"enterprise_id": str(enterprise_id)})
    except ApiProblem as problem:
        return await _new_page(
            request, backend, enterprise_id, values=shown(body), errors=field_errors(problem), status=problem.status
        )
    return see_other(request, f"/console/records/{created['id']}", done="published")


async def _record_page(
    request: Request,
    backend: Backend,
    record_id: UUID,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, Message] | None = None,
    reasons: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    record = await backend.get("records", f"/v1/records/{record_id}")
    enterprise, history, revisions = await asyncio.gather(
        backend.get("records", f"/v1/enterprises/{record['enterprise_id']}"),
        backend.get("records", f"/v1/records/{record_id}/status-history"),
        backend.get("records", f"/v1/records/{record_id}/revisions"),
    )
    actions: tuple[str, ...] = ()
    if not record.get("retracted_at"):
        actions = (*ACTIONS_BY_STATUS.get(record["status"], ()), "retract")
    return render_page(
        request,
        "console/record.html",
        status_code=status,
        record=record,
        enterprise=enterprise,
        history=list(reversed(history)),
        revisions=list(reversed(revisions)),
        actions=actions,
        values=values or shown({k: record.get(k) for k in CONTENT_FIELDS}),
        errors=errors or {},
        reasons=reasons or {},
        record_types=RECORD_TYPES.values(),
        done=_done(request),
    )


@router.get("/{record_id}", response_class=HTMLResponse)
async def record(request: Request, record_id: UUID, user: AdminSession, backend: AdminBackend) -> Response:
    """One record: its content to correct, the lifecycle actions its status allows, its history."""
    return await _record_page(request, backend, record_id)


@router.post("/{record_id}", response_class=HTMLResponse)
async def revise(request: Request, record_id: UUID, user: AdminSession, backend: AdminBackend) -> Response:
    """Correct the content (RecordUpdated on a real change); the old content goes to the revisions."""
    async with request.form(max_files=0, max_fields=20) as form:
        check_csrf(request, text(form, CSRF_FIELD, 200))
        body = _content(form)
    try:
        await backend.call("records", "PATCH", f"/v1/records/{record_id}", json=body)
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        return await _record_page(
            request, backend, record_id, values=shown(body), errors=field_errors(problem), status=problem.status
        )
    return see_other(request, f"/console/records/{record_id}", done="revised")


@router.post("/{record_id}/{action}", response_class=HTMLResponse)
async def lifecycle(
    request: Request, record_id: UUID, action: LifecycleAction, user: AdminSession, backend: AdminBackend
) -> Response:
    """Resolve, restore or retract, always with a reason: the public page, the workspace and the email show it."""
    async with request.form(max_files=0, max_fields=5) as form:
        check_csrf(request, text(form, CSRF_FIELD, 200))
        reason = text(form, "reason", 2000)
    if not reason:
        return await _record_page(
            request, backend, record_id, errors={action: REASON_REQUIRED}, reasons={action: reason}, status=422
        )
    try:
        await backend.post("records", f"/v1/records/{record_id}/{action}", {"reason": reason})
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        errors: dict[str, Message] = {action: field_errors(problem).popitem()[1]}
        return await _record_page(
            request, backend, record_id, errors=errors, reasons={action: reason}, status=problem.status
        )
    return see_other(request, f"/console/records/{record_id}", done=action)
