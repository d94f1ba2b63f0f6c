"""The admin's commitments: the version in force of each kind, publish a new one, who accepted or declined which."""

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bluemap_portal.console.admin import AdminBackend, AdminSession, field_errors, text
from bluemap_portal.site.i18n import N_
from bluemap_portal.workspace.backend import ApiProblem, Backend
from bluemap_portal.workspace.messages import Message
from bluemap_portal.workspace.rendering import render_page, see_other
from bluemap_portal.workspace.session import CSRF_FIELD, check_csrf

router = APIRouter(prefix="/console/commitments")

Kind = Literal["accuracy", "deadline"]
KINDS: tuple[Kind, ...] = ("accuracy", "deadline")
MAX_WORDING = 20000
# The answers listed (latest last, as the service pages them); enough for a tenant's page, not an export.
ANSWERS = 1000


async def _names(backend: Backend, enterprise_ids: set[str]) -> dict[str, str]:
    """Enterprise names for the answers (records service), concurrently; an unknown one shows its id."""

    async def name(enterprise_id: str) -> tuple[str, str]:
        try:
            enterprise = await backend.get("records", f"/v1/enterprises/{enterprise_id}")
        except ApiProblem:
            return enterprise_id, enterprise_id
        return enterprise_id, str(enterprise["name"])

    return dict(await asyncio.gather(*(name(e) for e in sorted(enterprise_ids))))


async def _commitments_page(
    request: Request,
    backend: Backend,
    *,
    values: dict[str, dict[str, str]] | None = None,
    errors: dict[str, Message] | None = None,
    status: int = 200,
) -> HTMLResponse:
    texts = await asyncio.gather(
        *(backend.get("explanations", f"/v1/commitments/{kind}", lang=lang) for kind in KINDS for lang in ("zh", "en"))
    )
    answers: list[dict[str, Any]] = await backend.get("explanations", "/v1/commitment-responses", limit=ANSWERS)
    names = await _names(backend, {str(a["enterprise_id"]) for a in answers})
    current = {kind: {"zh": texts[2 * i], "en": texts[2 * i + 1]} for i, kind in enumerate(KINDS)}
    return render_page(
        request,
        "console/commitments.html",
        status_code=status,
        kinds=KINDS,
        current=current,
        answers=list(reversed(answers)),
        names=names,
        values={kind: {"zh": current[kind]["zh"]["text"], "en": current[kind]["en"]["text"]} for kind in KINDS}
        | (values or {}),
        errors=errors or {},
        done=N_("The new version is in force; enterprises accept it anew.")
        if request.query_params.get("done")
        else None,
    )


@router.get("", response_class=HTMLResponse)
async def commitments(request: Request, user: AdminSession, backend: AdminBackend) -> HTMLResponse:
    """Each commitment's text in force (zh and en), a form for a new version, and every answer to them."""
    return await _commitments_page(request, backend)


@router.post("/{kind}", response_class=HTMLResponse)
async def publish_version(request: Request, kind: Kind, user: AdminSession, backend: AdminBackend) -> Response:
    """Put a new version in force in both languages at once (the explanations service numbers it)."""
    async with request.form(max_files=0, max_fields=5) as form:
        check_csrf(request, text(form, CSRF_FIELD, 200))
        wording = {"zh": text(form, "zh", MAX_WORDING), "en": text(form, "en", MAX_WORDING)}
    try:
        await backend.post("explanations", f"/v1/commitments/{kind}/versions", wording)
    except ApiProblem as problem:
        errors = {f"{kind}-{field}": message for field, message in field_errors(problem).items()}
        return await _commitments_page(request, backend, values={kind: wording}, errors=errors, status=problem.status)
    return see_other(request, "/console/commitments", fragment=kind, done="published")
