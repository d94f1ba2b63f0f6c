"""Public enterprise API: no login, the tenant comes from the Host."""

from uuid import UUID

from fastapi import APIRouter, Query

from bluemap_portal.enterprises import service
from bluemap_portal.enterprises.schemas import EnterpriseDetail, EnterpriseSummary
from bluemap_portal.tenancy import TenantDep
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])


@router.get("", response_model=list[EnterpriseSummary])
async def search_enterprises(
    session: SessionDep,
    tenant_id: TenantDep,
    q: str | None = Query(default=None, max_length=100, description="Substring of the name, or the exact USCC"),
    limit: int = Query(default=20, ge=1, le=100),
) -> list[EnterpriseSummary]:
    """Find enterprises by name or USCC; without q, the most recently updated."""
    rows = await service.search_enterprises(session, tenant_id, q=q, limit=limit)
    return [EnterpriseSummary.model_validate(e) for e in rows]


@router.get("/{enterprise_id}", response_model=EnterpriseDetail)
async def get_enterprise(enterprise_id: UUID, session: SessionDep, tenant_id: TenantDep) -> EnterpriseDetail:
    """One enterprise with its public records grouped by record type."""
    return await service.enterprise_detail(session, tenant_id, enterprise_id)
