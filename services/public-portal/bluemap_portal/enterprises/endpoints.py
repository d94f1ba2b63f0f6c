"""Public enterprise API: no login, the tenant comes from the Host."""

from uuid import UUID

from fastapi import APIRouter, Query

from bluemap_portal.clock import china_today
from bluemap_portal.enterprises import service
from bluemap_portal.enterprises.schemas import EnterpriseDetail, EnterpriseSummary
from bluemap_portal.settings import SettingsDep
from bluemap_portal.tenancy import TenantDep
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])


@router.get("", response_model=list[EnterpriseSummary])
async def search_enterprises(
    session: SessionDep,
    tenant_id: TenantDep,
    q: str | None = Query(default=None, max_length=100, description="Substring of the name, or the exact USCC"),
    region: str | None = Query(
        default=None, max_length=6, description="GB/T 2260 code or prefix: 61 (Shaanxi), 6101 or 610100 (Xi'an)"
    ),
    offset: int = Query(default=0, ge=0, le=1_000_000),
    limit: int = Query(default=20, ge=1, le=100),
) -> list[EnterpriseSummary]:
    """Find enterprises by name or USCC and region, by name; without q or region, the most recently updated."""
    rows = await service.search_enterprises(
        session, tenant_id, q=q, region=service.region_filter(region), offset=offset, limit=limit
    )
    return [EnterpriseSummary.model_validate(e) for e in rows]


@router.get("/{enterprise_id}", response_model=EnterpriseDetail)
async def get_enterprise(
    enterprise_id: UUID, session: SessionDep, tenant_id: TenantDep, settings: SettingsDep
) -> EnterpriseDetail:
    """One enterprise: its public records by type (each with its explanations and documents), its documents and
    its Enterprise Feedback; statuses as of today in China."""
    return await service.enterprise_detail(
        session,
        tenant_id,
        enterprise_id,
        today=china_today(),
        documents_public_base_url=settings.documents_public_base_url,
    )
