"""Public responsiveness API: no login, the tenant comes from the Host."""

from fastapi import APIRouter, Query

from bluemap_portal.clock import china_today
from bluemap_portal.dashboard.filters import scope_of
from bluemap_portal.dashboard.schemas import Responsiveness
from bluemap_portal.dashboard.service import responsiveness
from bluemap_portal.tenancy import TenantDep
from bluemap_shared.runtime import SessionDep

router = APIRouter(tags=["responsiveness"])


@router.get("/v1/responsiveness", response_model=Responsiveness)
async def get_responsiveness(
    session: SessionDep,
    tenant_id: TenantDep,
    enterprise_id: str | None = Query(default=None, max_length=64, description="One enterprise's records"),
    region: str | None = Query(default=None, max_length=6, description="GB/T 2260 code or prefix: 61, 6101"),
    record_type: str | None = Query(default=None, max_length=64, description="A record type code"),
) -> Responsiveness:
    """Share explained, median and 90th percentile working days to an explanation, share overdue and the
    operator's median review time: for the scope, by record type, by province and by month of publication."""
    scope = scope_of(tenant_id, enterprise_id, region, record_type)
    connection = await session.connection()
    return await responsiveness(connection, scope, china_today())
