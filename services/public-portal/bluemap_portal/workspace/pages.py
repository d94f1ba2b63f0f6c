"""The workspace's pages other than Information Disclosure: home, account, pages still to come, guides, files."""

import asyncio
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bluemap_portal.site.rendering import page_language
from bluemap_portal.workspace.backend import ApiProblem
from bluemap_portal.workspace.disclosure import explainable_records
from bluemap_portal.workspace.email_change import account_page
from bluemap_portal.workspace.menu import DISCLOSURE_TYPES, MENU, MENU_BY_KEY, type_label
from bluemap_portal.workspace.rendering import render_page
from bluemap_portal.workspace.session import EnterpriseBackend, EnterpriseSession, OptionalBackend, OptionalSession

router = APIRouter(prefix="/workspace")

PLACEHOLDERS = ("data-submission", "gca-audit", "training")


@router.get("", response_class=HTMLResponse)
async def home(request: Request, user: EnterpriseSession, backend: EnterpriseBackend) -> HTMLResponse:
    """My Green Choice: the menu, and what awaits the enterprise in Information Disclosure."""
    enterprise, records = await asyncio.gather(
        backend.get("records", f"/v1/enterprises/{user.principal.enterprise_id}"),
        explainable_records(backend),
    )
    waiting = [r for r in records if r["status"] in ("draft", "saved", "rejected")]
    return render_page(
        request, "workspace/home.html", enterprise=enterprise, menu=MENU, active="", waiting=len(waiting)
    )


@router.get("/account", response_class=HTMLResponse)
async def account(
    request: Request, user: EnterpriseSession, backend: EnterpriseBackend, done: str = ""
) -> HTMLResponse:
    """Account Management: the enterprise's directory entry, its registered emails and their change, the login."""
    return await account_page(request, user, backend, done=done)


def _not_yet(key: str) -> None:
    item = MENU_BY_KEY[key]

    async def page(request: Request, user: EnterpriseSession) -> HTMLResponse:
        return render_page(request, "workspace/not_yet.html", item=item, menu=MENU, active=key)

    page.__doc__ = f"{item.label}: not available on this platform yet, and the page says so."
    router.add_api_route(item.path.removeprefix("/workspace"), page, methods=["GET"], response_class=HTMLResponse)


for _key in PLACEHOLDERS:
    _not_yet(_key)


@router.get("/guides/disclosure", response_class=HTMLResponse)
async def disclosure_guide(request: Request, user: OptionalSession) -> HTMLResponse:
    """Instructions for Enterprise Information Disclosure (the walkthrough, as a page)."""
    return render_page(request, "workspace/guide_disclosure.html", menu=MENU, active="disclosure")


@router.get("/guides/self-explanations", response_class=HTMLResponse)
async def self_explanations_guide(request: Request, user: OptionalSession, backend: OptionalBackend) -> HTMLResponse:
    """Self Explanations Guide: how to explain a record, with the worked examples of each type when signed in."""
    lang = page_language(request)
    guidance: list[dict[str, Any]] = []
    if user is not None:
        try:
            guidance = await backend.get("explanations", "/v1/guidance", lang=lang)
        except ApiProblem:
            guidance = []
    order = {code: i for i, code in enumerate(DISCLOSURE_TYPES)}
    guidance.sort(key=lambda g: order.get(str(g.get("record_type")), len(order)))
    for item in guidance:
        item["workspace_label"] = type_label(str(item["record_type"]), lang)
    return render_page(
        request, "workspace/guide_self_explanations.html", guidance=guidance, menu=MENU, active="disclosure"
    )


@router.get("/documents/{document_id}/file")
async def document_file(
    document_id: UUID,
    user: EnterpriseSession,
    backend: EnterpriseBackend,
    disposition: Literal["attachment", "inline"] = "attachment",
) -> Response:
    """One of the enterprise's files (the rendered PDF, its signed scan, a supporting document), with its token."""
    return await backend.file("documents", f"/v1/documents/{document_id}/content", params={"disposition": disposition})
