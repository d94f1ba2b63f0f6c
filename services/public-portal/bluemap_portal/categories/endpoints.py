"""Public listing API across enterprises (categories, disclosed documents): no login, the tenant comes from the Host."""

from fastapi import APIRouter, Query

from bluemap_portal.categories import service
from bluemap_portal.categories.schemas import CategoryPage, CategoryPublic, DocumentListing
from bluemap_portal.clock import china_today
from bluemap_portal.enterprises.service import region_filter
from bluemap_portal.records.service import PUBLIC_STATUSES, record_filter
from bluemap_portal.settings import SettingsDep
from bluemap_portal.tenancy import TenantDep
from bluemap_shared.runtime import SessionDep

router = APIRouter(tags=["categories"])

MAX_PAGE = 10_000
REGION = "GB/T 2260 code or prefix: 61 (Shaanxi), 6101 (Xi'an)"


@router.get("/v1/categories", response_model=list[CategoryPublic])
async def list_categories() -> list[CategoryPublic]:
    """Every record type, and Enterprise Feedback (enterprise_feedback), in the portal's order."""
    return service.categories()


@router.get("/v1/categories/{code}", response_model=CategoryPage)
async def get_category(
    code: str,
    session: SessionDep,
    tenant_id: TenantDep,
    settings: SettingsDep,
    page: int = Query(default=1, ge=1, le=MAX_PAGE),
    region: str | None = Query(default=None, max_length=6, description=REGION),
    year: int | None = Query(default=None, ge=1900, le=2200, description="Record year; feedback: year published"),
    status: str | None = Query(default=None, description="One of " + ", ".join(PUBLIC_STATUSES)),
) -> CategoryPage:
    """One page of a category across enterprises, newest first: records of a type, or feedback items."""
    return await service.category_page(
        session,
        tenant_id,
        code,
        page=page,
        page_size=settings.page_size,
        today=china_today(),
        documents_public_base_url=settings.documents_public_base_url,
        where=record_filter(region=region_filter(region), year=year, status=status),
    )


@router.get("/v1/documents", response_model=DocumentListing, tags=["documents"])
async def list_documents(
    session: SessionDep,
    tenant_id: TenantDep,
    settings: SettingsDep,
    page: int = Query(default=1, ge=1, le=MAX_PAGE),
    type: str | None = Query(default=None, max_length=64, description="Document category or kind"),
    region: str | None = Query(default=None, max_length=6, description=REGION),
    year: int | None = Query(default=None, ge=1900, le=2200, description="Year published (China time)"),
) -> DocumentListing:
    """The list of disclosed documents: every enterprise's published documents, newest first."""
    return await service.documents_page(
        session,
        tenant_id,
        where=service.document_filter(type=type, region=region_filter(region), year=year),
        page=page,
        page_size=settings.page_size,
        documents_public_base_url=settings.documents_public_base_url,
    )
