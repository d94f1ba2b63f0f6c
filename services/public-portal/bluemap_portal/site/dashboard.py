"""The responsiveness dashboard: /dashboard (charts with their tables) and /dashboard.csv, cached like every page."""

from collections.abc import Iterable

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from bluemap_portal.clock import china_today
from bluemap_portal.dashboard.filters import scope_of
from bluemap_portal.dashboard.repository import Scope
from bluemap_portal.dashboard.schemas import Responsiveness
from bluemap_portal.dashboard.service import responsiveness
from bluemap_portal.dashboard.views import CSV_HEADER, csv_rows, dashboard_view, key_label
from bluemap_portal.record_types import ENTERPRISE_FEEDBACK, RECORD_TYPES
from bluemap_portal.site.caching import cached_page
from bluemap_portal.site.exports import csv_line
from bluemap_portal.site.page_cache import directory_tag, enterprise_tag, records_tag
from bluemap_portal.site.rendering import link_builder, page_language, render, root_path
from bluemap_portal.tenancy import TenantDep
from bluemap_shared.runtime import ServiceRuntime

router = APIRouter()

MAX_FILTER = 64


def dashboard_tags(scope: Scope) -> list[str]:
    """What the figures depend on: every record type's records, the explanations, the enterprises' regions."""
    tags = [records_tag(scope.tenant_id, t) for t in (*RECORD_TYPES, ENTERPRISE_FEEDBACK)]
    tags.append(directory_tag(scope.tenant_id))
    if scope.enterprise_id is not None:
        tags.append(enterprise_tag(scope.tenant_id, scope.enterprise_id))
    return tags


async def figures_of(request: Request, scope: Scope) -> Responsiveness:
    """The scope's figures on an autocommit connection of its own: a page from the cache needs none."""
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.engine.connect() as connection:
        reading = await connection.execution_options(isolation_level="AUTOCOMMIT")
        return await responsiveness(reading, scope, china_today())


@router.api_route("/dashboard", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def dashboard_page(
    request: Request,
    tenant_id: TenantDep,
    enterprise: str | None = Query(default=None, max_length=MAX_FILTER),
    region: str | None = Query(default=None, max_length=MAX_FILTER),
    type: str | None = Query(default=None, max_length=MAX_FILTER),
) -> Response:
    """How quickly enterprises explain their records and the operator reviews: charts, tables, a CSV."""
    scope = scope_of(tenant_id, enterprise, region, type)

    async def rendered() -> tuple[bytes, Iterable[str]]:
        figures = await figures_of(request, scope)
        lang = page_language(request)
        href = link_builder(request, lang)
        response = render(
            request,
            "dashboard.html",
            figures=figures,
            overall_label=key_label("overall", None, lang),
            breakdowns=dashboard_view(figures, lang),
            csv_url=href("/dashboard.csv", enterprise=enterprise, region=region, type=type),
            api_url="/api/public-portal/v1/responsiveness",
            filter_action=root_path(request) + "/dashboard",
            record_types=[(code, t.label(lang)) for code, t in RECORD_TYPES.items()],
            scope=scope,
        )
        return bytes(response.body), dashboard_tags(scope)

    return await cached_page(request, tenant_id, rendered)


@router.api_route("/dashboard.csv", methods=["GET", "HEAD"])
async def dashboard_csv(
    request: Request,
    tenant_id: TenantDep,
    enterprise: str | None = Query(default=None, max_length=MAX_FILTER),
    region: str | None = Query(default=None, max_length=MAX_FILTER),
    type: str | None = Query(default=None, max_length=MAX_FILTER),
) -> Response:
    """The dashboard's numbers as CSV (UTF-8 with a byte order mark, for Excel): the scope, then each breakdown."""
    scope = scope_of(tenant_id, enterprise, region, type)

    async def rendered() -> tuple[bytes, Iterable[str]]:
        figures = await figures_of(request, scope)
        lang = page_language(request)
        lines = [csv_line(CSV_HEADER), *(csv_line(row) for row in csv_rows(figures, lang))]
        return ("\ufeff" + "".join(lines)).encode(), dashboard_tags(scope)

    return await cached_page(
        request, tenant_id, rendered, key="csv", media_type="text/csv; charset=utf-8", personal=False
    )
