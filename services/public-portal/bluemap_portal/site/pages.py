"""The site's pages: home and search, enterprise pages, categories, disclosed documents, verification."""

from collections.abc import Callable, Iterable
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.categories import service as categories
from bluemap_portal.clock import china_today
from bluemap_portal.dashboard.repository import Scope
from bluemap_portal.dashboard.service import overall
from bluemap_portal.documents import service as documents
from bluemap_portal.enterprises import service
from bluemap_portal.enterprises.repository import page_rows
from bluemap_portal.records import service as records
from bluemap_portal.records.schemas import RecordFilter
from bluemap_portal.records.service import PUBLIC_STATUSES
from bluemap_portal.regions import region_choices
from bluemap_portal.settings import PortalSettings, SettingsDep
from bluemap_portal.site.caching import cached_page, personal_page
from bluemap_portal.site.i18n import N_
from bluemap_portal.site.page_cache import directory_tag, enterprise_tag, recent_tag, records_tag
from bluemap_portal.site.paging import MAX_PAGE, Paging, count_limit
from bluemap_portal.site.reading import ReadingSessionDep
from bluemap_portal.site.rendering import (
    error_page,
    link_builder,
    page_language,
    render,
    root_path,
)
from bluemap_portal.site.views import enterprise_view, listed_record_view
from bluemap_portal.tenancy import TenantDep
from bluemap_portal.workspace.session import OptionalSession
from bluemap_shared.problems import InvalidInput, NotFound
from bluemap_shared.runtime import ServiceRuntime, SessionDep

router = APIRouter()


def body_of(response: HTMLResponse) -> bytes:
    """A rendered page's bytes, for the page cache."""
    return bytes(response.body)


MAX_CODE = 128
# Filters come from <select>s, which send "" for "all".
MAX_FILTER = 64

KIND_LABELS = {"public_explanation": N_("Public explanation"), "document": N_("Document uploaded by the enterprise")}
VERIFY_STATUSES = {
    "published": N_("Reviewed and published"),
    "awaiting_signed_copy": N_("Issued; awaiting the enterprise's signed copy"),
}


def optional_year(value: str | None) -> int | None:
    """A year filter: empty is none; InvalidInput for anything but a plausible year."""
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1900 <= int(text) <= 2200:
        raise InvalidInput("A year has four digits.")
    return int(text)


def page_links(request: Request, path: str, **params: str | int | None) -> Callable[[int], str]:
    """link(n): the URL of page n of a listing, keeping its filters and language."""
    href = link_builder(request, page_language(request))
    return lambda number: href(path, **params, page=number)


# HEAD too: uptime checks and link checkers ask with it.
@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
@router.api_route("/search", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def home(
    request: Request,
    session: SessionDep,
    tenant_id: TenantDep,
    settings: SettingsDep,
    q: str | None = None,
    region: str | None = Query(default=None, max_length=MAX_FILTER),
    page: int = Query(default=1, ge=1, le=MAX_PAGE),
) -> Response:
    """The search form and the matching enterprises (or the most recently updated), page by page; the categories."""
    text = service.search_text(q)
    prefix = service.region_filter(region)

    async def rendered() -> tuple[bytes, Iterable[str]]:
        return await _home(request, session, tenant_id, settings, text, prefix, page)

    return await cached_page(request, tenant_id, rendered)


async def _home(
    request: Request,
    session: AsyncSession,
    tenant_id: str,
    settings: PortalSettings,
    text: str | None,
    prefix: str | None,
    page: int,
) -> tuple[bytes, Iterable[str]]:
    limit = count_limit(page, settings.page_size, at_least=settings.search_count_limit)
    counted = await service.count_enterprises(session, tenant_id, q=text, region=prefix, at_most=limit + 1)
    paging = Paging.counted_to(page, settings.page_size, counted, limit=limit)
    rows = await service.search_enterprises(
        session, tenant_id, q=text, region=prefix, offset=paging.offset, limit=paging.page_size
    )
    href = link_builder(request, page_language(request))
    # Which enterprises exist and their names decide the results; the latest updated, when nothing is asked.
    tags = [directory_tag(tenant_id), *(enterprise_tag(tenant_id, e.id) for e in rows)]
    if text is None and prefix is None:
        tags.append(recent_tag(tenant_id))
    return body_of(
        render(
            request,
            "home.html",
            q=text or "",
            region=prefix,
            searched=text is not None or prefix is not None,
            enterprises=rows,
            record_counts=await records.count_by_enterprise(session, tenant_id, (e.id for e in rows)),
            paging=paging,
            page_link=page_links(request, "/search", q=text, region=prefix),
            export_links={
                "csv": href("/search.csv", q=text, region=prefix),
                "json": href("/search.json", q=text, region=prefix),
            },
            search_action=root_path(request) + "/search",
            regions=region_choices(await service.region_codes(session, tenant_id), page_language(request)),
            categories=categories.categories(),
        )
    ), tags


@router.api_route("/enterprises/{enterprise_id}", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def enterprise_page(
    request: Request, enterprise_id: str, tenant_id: TenantDep, settings: SettingsDep
) -> Response:
    """An enterprise's public page: its records by category with their explanations and documents, its feedback."""
    try:
        key = UUID(enterprise_id)
    except ValueError:
        return error_page(request, 404)

    async def rendered() -> tuple[bytes, Iterable[str]]:
        return await _enterprise_page(request, key, tenant_id, settings), [enterprise_tag(tenant_id, key)]

    # Signed in: the page gets a Follow form, private and carrying the CSRF token, put in apart.
    follow = {"follow_action": root_path(request) + "/workspace/following", "enterprise_id": key}
    return await cached_page(request, tenant_id, rendered, actions=("follow.html", follow))


async def _enterprise_page(request: Request, key: UUID, tenant_id: str, settings: PortalSettings) -> bytes:
    # Its own connection rather than SessionDep's: a page from the cache needs none at all.
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.engine.connect() as connection:
        reading = await connection.execution_options(isolation_level="AUTOCOMMIT")
        rows = await page_rows(reading, tenant_id, key, today=china_today())
        answered = await overall(reading, Scope(tenant_id, enterprise_id=key), china_today()) if rows else None
    if rows is None:
        raise NotFound("No such enterprise.")
    lang = page_language(request)
    href = link_builder(request, lang)
    detail = enterprise_view(rows, lang, documents_public_base_url=settings.documents_public_base_url, href=href)
    return body_of(
        render(
            request,
            "enterprise.html",
            enterprise=detail,
            groups=detail.groups,
            record_total=detail.record_total,
            feed_url=href(f"/enterprises/{key}/feed.atom"),
            responsiveness=answered,
            dashboard_url=href("/dashboard", enterprise=str(key)),
        )
    )


@router.api_route("/categories", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def category_index(request: Request, tenant_id: TenantDep) -> Response:
    """Every category, record types and Enterprise Feedback."""

    async def rendered() -> tuple[bytes, Iterable[str]]:
        return body_of(render(request, "categories.html", categories=categories.categories())), ()

    return await cached_page(request, tenant_id, rendered)


@router.api_route("/categories/{code}", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def category_page(
    request: Request,
    code: str,
    session: ReadingSessionDep,
    tenant_id: TenantDep,
    settings: SettingsDep,
    page: int = Query(default=1, ge=1, le=MAX_PAGE),
    region: str | None = Query(default=None, max_length=MAX_FILTER),
    year: str | None = Query(default=None, max_length=MAX_FILTER),
    status: str | None = Query(default=None, max_length=MAX_FILTER),
) -> Response:
    """One page of a category across enterprises, newest first, filtered by region, year and status."""
    where = records.record_filter(
        region=service.region_filter(region),
        year=optional_year(year),
        status=None if code == categories.ENTERPRISE_FEEDBACK else status,
    )

    async def rendered() -> tuple[bytes, Iterable[str]]:
        body = await _category_page(request, code, session, tenant_id, settings, page, where)
        # Enterprise names and the region filter come from the directory.
        return body, [records_tag(tenant_id, code), directory_tag(tenant_id)]

    return await cached_page(request, tenant_id, rendered)


async def _category_page(
    request: Request,
    code: str,
    session: AsyncSession,
    tenant_id: str,
    settings: PortalSettings,
    page: int,
    where: RecordFilter,
) -> bytes:
    listing = await categories.category_page(
        session,
        tenant_id,
        code,
        page=page,
        page_size=settings.page_size,
        today=china_today(),
        documents_public_base_url=settings.documents_public_base_url,
        where=where,
    )
    lang = page_language(request)
    href = link_builder(request, lang)
    return body_of(
        render(
            request,
            "category.html",
            listing=listing,
            rows=[listed_record_view(r, lang, href=href) for r in listing.records],
            paging=Paging(page, settings.page_size, listing.total),
            page_link=page_links(
                request, f"/categories/{code}", region=where.region, year=where.year, status=where.status
            ),
            filters=where,
            filtered=where.active,
            filter_action=f"{root_path(request)}/categories/{code}",
            is_feedback=code == categories.ENTERPRISE_FEEDBACK,
            regions=region_choices(await service.region_codes(session, tenant_id), page_language(request)),
            years=await categories.category_years(session, tenant_id, code),
            statuses=PUBLIC_STATUSES,
            feed_url=href(f"/categories/{code}/feed.atom"),
        )
    )


@router.api_route("/documents", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def documents_page(
    request: Request,
    user: OptionalSession,
    session: SessionDep,
    tenant_id: TenantDep,
    settings: SettingsDep,
    page: int = Query(default=1, ge=1, le=MAX_PAGE),
    type: str | None = Query(default=None, max_length=MAX_FILTER),
    region: str | None = Query(default=None, max_length=MAX_FILTER),
    year: str | None = Query(default=None, max_length=MAX_FILTER),
) -> HTMLResponse:
    """The list of disclosed documents across enterprises, newest first, filtered by type, region and year."""
    prefix = service.region_filter(region)
    published_in = optional_year(year)
    where = categories.document_filter(type=type, region=prefix, year=published_in)
    listing = await categories.documents_page(
        session,
        tenant_id,
        where=where,
        page=page,
        page_size=settings.page_size,
        documents_public_base_url=settings.documents_public_base_url,
    )
    page_body = render(
        request,
        "documents.html",
        documents=listing.documents,
        paging=Paging(page, settings.page_size, listing.total),
        page_link=page_links(request, "/documents", type=where.type, region=prefix, year=published_in),
        filters={"type": where.type, "region": prefix, "year": published_in},
        filtered=any(v is not None for v in (where.type, prefix, published_in)),
        filter_action=f"{root_path(request)}/documents",
        document_types=await categories.document_types(session, tenant_id),
        regions=region_choices(await service.region_codes(session, tenant_id), page_language(request)),
        years=await categories.document_years(session, tenant_id),
    )
    return personal_page(request, page_body, user)


@router.api_route("/verify", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def verify_form(
    request: Request,
    user: OptionalSession,
    session: SessionDep,
    tenant_id: TenantDep,
    settings: SettingsDep,
    code: str | None = None,
) -> HTMLResponse:
    """The form to enter a verification code; with ?code= (the form's submission), the answer."""
    if code is None or not code.strip():
        return personal_page(request, _verify_page(request, code="", result=None), user)
    return personal_page(request, await _verify(request, session, tenant_id, settings, code), user)


@router.api_route("/verify/{code}", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def verify_page(
    request: Request, code: str, user: OptionalSession, session: SessionDep, tenant_id: TenantDep, settings: SettingsDep
) -> HTMLResponse:
    """Whether a verification code (the QR code on a public explanation links here) matches a document."""
    return personal_page(request, await _verify(request, session, tenant_id, settings, code), user)


async def _verify(
    request: Request, session: SessionDep, tenant_id: str, settings: SettingsDep, code: str
) -> HTMLResponse:
    shown = code.strip()[:MAX_CODE]
    try:
        result = await documents.verify(
            session, tenant_id, shown, documents_public_base_url=settings.documents_public_base_url
        )
    except NotFound:
        return _verify_page(request, code=shown, result=None, status_code=404)
    return _verify_page(request, code=shown, result=result)


def _verify_page(request: Request, *, code: str, result: object, status_code: int = 200) -> HTMLResponse:
    return render(
        request,
        "verify.html",
        status_code=status_code,
        code=code,
        result=result,
        verify_action=root_path(request) + "/verify",
        kind_labels=KIND_LABELS,
        verify_statuses=VERIFY_STATUSES,
    )
