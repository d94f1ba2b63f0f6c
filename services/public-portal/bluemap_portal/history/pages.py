"""The public page of a record's history: its entries in the log, each with its inclusion proof."""

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from bluemap_portal.history.endpoints import record_history
from bluemap_portal.history.leaves import (
    DOCUMENT_PUBLISHED,
    EXPLANATION_PUBLISHED,
    RECORD_PUBLISHED,
    RECORD_RESOLVED,
    RECORD_RESTORED,
    RECORD_RETRACTED,
    RECORD_REVISED,
    RECORD_STATUS_CHANGED,
)
from bluemap_portal.site.caching import cached_page
from bluemap_portal.site.i18n import N_
from bluemap_portal.site.page_cache import history_tag
from bluemap_portal.site.rendering import error_page, link_builder, page_language, render, root_path
from bluemap_portal.tenancy import TenantDep
from bluemap_shared.http import mount_path
from bluemap_shared.problems import NotFound
from bluemap_shared.runtime import ServiceRuntime

router = APIRouter()

KIND_LABELS = {
    RECORD_PUBLISHED: N_("Record published"),
    RECORD_REVISED: N_("Record revised"),
    RECORD_RESOLVED: N_("Record resolved"),
    RECORD_RESTORED: N_("Record restored"),
    RECORD_STATUS_CHANGED: N_("Status changed"),
    RECORD_RETRACTED: N_("Record retracted"),
    EXPLANATION_PUBLISHED: N_("Explanation published"),
    DOCUMENT_PUBLISHED: N_("Document published"),
}
# The leaf field that tells when the change was made, by kind.
WHEN = ("published_at", "updated_at", "changed_at", "retracted_at")


def _pretty(value: Any) -> str:
    """JSON as people read it: indented, Chinese as it is written."""
    return json.dumps(value, ensure_ascii=False, indent=2)


@router.api_route("/records/{record_id}/history", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def record_history_page(request: Request, record_id: str, tenant_id: TenantDep) -> Response:
    """A record's entries in the public history log with their inclusion proofs against the latest signed head."""
    try:
        key = UUID(record_id)
    except ValueError:
        return error_page(request, 404)

    async def rendered() -> tuple[bytes, Iterable[str]]:
        return await _render(request, key, tenant_id), [history_tag(tenant_id)]

    return await cached_page(request, tenant_id, rendered)


async def _render(request: Request, record_id: UUID, tenant_id: str) -> bytes:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.sessionmaker() as session:
        history = await record_history(session, tenant_id, record_id)
    if not history.entries:
        raise NotFound("No public history of this record.")
    lang = page_language(request)
    href = link_builder(request, lang)
    api = root_path(request) + mount_path(runtime.name) + "/v1/history"
    rows: list[dict[str, Any]] = []
    enterprise_id = None
    for proven in history.entries:
        leaf = proven.entry.leaf
        enterprise_id = enterprise_id or leaf.get("enterprise_id")
        when = next((datetime.fromisoformat(leaf[name]) for name in WHEN if name in leaf), None)
        rows.append(
            {
                "index": proven.entry.leaf_index,
                "kind": KIND_LABELS.get(leaf["kind"], leaf["kind"]),
                "when": when,
                "reason": leaf.get("reason"),
                "status": leaf.get("status"),
                "leaf_hash": proven.entry.leaf_hash,
                "leaf": _pretty(leaf),
                "digest": leaf.get("content_sha256"),
                "content": _pretty(proven.entry.content) if proven.entry.content is not None else None,
                "withheld": proven.entry.content_withheld,
                "audit_path": proven.proof.audit_path,
                "proof_url": f"{api}/proofs/inclusion?leaf_index={proven.entry.leaf_index}"
                f"&tree_size={proven.proof.tree_size}",
            }
        )
    head = history.head
    response = render(
        request,
        "history.html",
        record_id=record_id,
        entries=rows,
        head=head,
        head_signed=datetime.fromtimestamp(head.timestamp / 1000, UTC) if head else None,
        api=api,
        # The command names the API as the platform's public address gives it (the page is cached for any Host).
        api_url=runtime.settings.public_base_url.rstrip("/") + mount_path(runtime.name),
        enterprise_href=href(f"/enterprises/{enterprise_id}") if enterprise_id else None,
    )
    return bytes(response.body)
