"""Tenant registry API: the platform operator runs tenants; a tenant's admin reads and edits its own settings."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, status

from bluemap_records.identity.passwords import PasswordHashing
from bluemap_records.tenants import service
from bluemap_records.tenants.repository import TenantRepository
from bluemap_records.tenants.schemas import TenantCreate, TenantCreated, TenantPublic, TenantSuspension, TenantUpdate
from bluemap_shared.auth import ADMIN, PLATFORM_OPERATOR, CurrentPrincipal, PlatformOperator, Principal
from bluemap_shared.events.catalog import TENANT_ID_PATTERN
from bluemap_shared.problems import Forbidden
from bluemap_shared.runtime import SessionDep
from bluemap_shared.tenants import TenantDirectory

router = APIRouter(prefix="/v1/tenants", tags=["tenants"])

TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, max_length=64)]
SUSPENDED: dict[int | str, dict[str, Any]] = {503: {"description": "The caller's tenant is suspended"}}


def _directory(request: Request) -> TenantDirectory:
    return request.app.state.tenants  # type: ignore[no-any-return]


def _may_manage(principal: Principal, tenant_id: str) -> bool:
    """The platform operator manages every tenant; a tenant's admin its own."""
    if PLATFORM_OPERATOR in principal.roles:
        return True
    return ADMIN in principal.roles and principal.tenant_id == tenant_id


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TenantCreated, responses={409: {}})
async def create_tenant(
    request: Request, data: TenantCreate, session: SessionDep, principal: PlatformOperator
) -> TenantCreated:
    """Create a tenant with its first admin (TenantConfigured); 409 when the id or a hostname is taken."""
    passwords: PasswordHashing = request.app.state.passwords
    tenant, admin = await service.create_tenant(session, passwords, data, _directory(request))
    return TenantCreated.model_validate(
        {**TenantPublic.model_validate(tenant).model_dump(), "first_admin_id": admin.id}
    )


@router.get("", response_model=list[TenantPublic])
async def list_tenants(session: SessionDep, principal: PlatformOperator) -> list[TenantPublic]:
    """Every tenant of the platform."""
    return [TenantPublic.model_validate(tenant) for tenant in await TenantRepository(session).all()]


@router.get("/{tenant_id}", response_model=TenantPublic, responses={404: {}, **SUSPENDED})
async def get_tenant(tenant_id: TenantId, session: SessionDep, principal: CurrentPrincipal) -> TenantPublic:
    """A tenant's settings: any of them for the platform operator, its own for a tenant's admin."""
    if not _may_manage(principal, tenant_id):
        raise Forbidden("Only the platform operator or this tenant's admin reads its settings.")
    return TenantPublic.model_validate(await service.get_tenant(session, tenant_id))


@router.patch("/{tenant_id}", response_model=TenantPublic, responses={404: {}, **SUSPENDED})
async def edit_tenant(
    request: Request, tenant_id: TenantId, data: TenantUpdate, session: SessionDep, principal: CurrentPrincipal
) -> TenantPublic:
    """Change a tenant's settings (TenantConfigured); hostnames only by the platform operator."""
    if not _may_manage(principal, tenant_id):
        raise Forbidden("Only the platform operator or this tenant's admin edits its settings.")
    tenant = await service.update_tenant(
        session,
        tenant_id,
        data,
        may_change_hostnames=PLATFORM_OPERATOR in principal.roles,
        directory=_directory(request),
    )
    return TenantPublic.model_validate(tenant)


@router.post("/{tenant_id}/suspend", response_model=TenantPublic, responses={404: {}})
async def suspend_tenant(
    request: Request, tenant_id: TenantId, data: TenantSuspension, session: SessionDep, principal: PlatformOperator
) -> TenantPublic:
    """Suspend a tenant (TenantSuspended): its site and API answer 503 until it is resumed."""
    tenant = await service.suspend_tenant(session, tenant_id, data.reason, _directory(request))
    return TenantPublic.model_validate(tenant)


@router.post("/{tenant_id}/resume", response_model=TenantPublic, responses={404: {}})
async def resume_tenant(
    request: Request, tenant_id: TenantId, session: SessionDep, principal: PlatformOperator
) -> TenantPublic:
    """Make a suspended tenant active again (TenantConfigured)."""
    tenant = await service.resume_tenant(session, tenant_id, _directory(request))
    return TenantPublic.model_validate(tenant)
