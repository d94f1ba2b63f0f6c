"""The site's pages: the home page with the search, and each enterprise's public page."""

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bluemap_portal.enterprises import service
from bluemap_portal.site.rendering import error_page, render
from bluemap_portal.tenancy import TenantDep
from bluemap_shared.runtime import SessionDep

router = APIRouter()

MAX_QUERY = 100
HOME_LIMIT = 50


# HEAD too: uptime checks and link checkers ask with it.
@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def home(request: Request, session: SessionDep, tenant_id: TenantDep, q: str | None = None) -> HTMLResponse:
    """Search form and the matching enterprises, or the most recently updated ones."""
    query = (q or "").strip()[:MAX_QUERY]
    enterprises = await service.search_enterprises(session, tenant_id, q=query, limit=HOME_LIMIT)
    return render(request, "home.html", q=query, enterprises=enterprises)


@router.api_route("/enterprises/{enterprise_id}", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def enterprise_page(
    request: Request, enterprise_id: str, session: SessionDep, tenant_id: TenantDep
) -> HTMLResponse:
    """An enterprise's public page: who it is and its records by type."""
    try:
        key = UUID(enterprise_id)
    except ValueError:
        return error_page(request, 404)
    detail = await service.enterprise_detail(session, tenant_id, key)
    return render(request, "enterprise.html", enterprise=detail, groups=detail.record_groups)
