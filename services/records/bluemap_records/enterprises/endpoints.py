"""Enterprise directory API."""

from uuid import UUID

from fastapi import APIRouter, Query, status

from bluemap_records.enterprises import service
from bluemap_records.enterprises.repository import EnterpriseRepository
from bluemap_records.enterprises.schemas import EnterpriseCreate, EnterprisePublic, EnterpriseUpdate
from bluemap_records.pagination import Page, decode_cursor, encode_cursor
from bluemap_records.uscc import normalise_uscc
from bluemap_shared.auth import Admin, CurrentPrincipal, Operator
from bluemap_shared.problems import InvalidInput, NotFound
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EnterprisePublic)
async def register_enterprise(data: EnterpriseCreate, session: SessionDep, principal: Admin) -> EnterprisePublic:
    """Register an enterprise in the caller's tenant (EnterpriseRegistered); 409 when its USCC exists."""
    enterprise = await service.register_enterprise(session, principal.tenant_id, data)
    return EnterprisePublic.model_validate(enterprise)


@router.get("", response_model=Page[EnterprisePublic])
async def search_enterprises(
    session: SessionDep,
    principal: Operator,
    uscc: str | None = Query(default=None, description="Exact Unified Social Credit Code"),
    q: str | None = Query(
        default=None,
        min_length=1,
        max_length=100,
        description="Substring of the legal (Chinese) name; three characters or more use the trigram index",
    ),
    cursor: str | None = Query(default=None, description="next_cursor of the previous page"),
    limit: int = Query(default=50, ge=1, le=500),
) -> Page[EnterprisePublic]:
    """The caller's tenant's directory in a stable order, by USCC or by a substring of the name."""
    repository = EnterpriseRepository(session)
    if uscc:
        try:
            code = normalise_uscc(uscc)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        found = await repository.get_by_uscc(principal.tenant_id, code)
        return Page(items=[EnterprisePublic.model_validate(found)] if found else [])
    after = UUID(decode_cursor(cursor, "enterprises", 1)[0]) if cursor else None
    rows = await repository.search(principal.tenant_id, name_contains=q, after=after, limit=limit + 1)
    items = [EnterprisePublic.model_validate(e) for e in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor("enterprises", str(items[-1].id)) if more else None)


@router.get("/{enterprise_id}", response_model=EnterprisePublic)
async def get_enterprise(enterprise_id: UUID, session: SessionDep, principal: CurrentPrincipal) -> EnterprisePublic:
    """One enterprise; enterprise staff see only their own."""
    if not principal.is_operator and principal.enterprise_id != enterprise_id:
        raise NotFound("No such enterprise.")
    enterprise = await service.get_enterprise(session, principal.tenant_id, enterprise_id)
    return EnterprisePublic.model_validate(enterprise)


@router.patch("/{enterprise_id}", response_model=EnterprisePublic)
async def update_enterprise(
    enterprise_id: UUID, data: EnterpriseUpdate, session: SessionDep, principal: Operator
) -> EnterprisePublic:
    """Change an enterprise's directory entry (operators); EnterpriseUpdated only on a real change."""
    enterprise = await service.update_enterprise(session, principal.tenant_id, enterprise_id, data)
    return EnterprisePublic.model_validate(enterprise)
