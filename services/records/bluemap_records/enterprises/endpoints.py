"""Enterprise directory API."""

from uuid import UUID

from fastapi import APIRouter, Query, status

from bluemap_records.enterprises import service
from bluemap_records.enterprises.repository import EnterpriseRepository
from bluemap_records.enterprises.schemas import (
    EmailChangeConfirmation,
    EmailChangeConfirmed,
    EmailChangeCreate,
    EmailChangePublic,
    EnterpriseCreate,
    EnterprisePublic,
    EnterpriseUpdate,
)
from bluemap_records.pagination import Page, decode_cursor, encode_cursor
from bluemap_records.uscc import normalise_uscc
from bluemap_shared.auth import ADMIN, ENTERPRISE, Admin, CurrentPrincipal, Operator, may_read_enterprise
from bluemap_shared.problems import Forbidden, InvalidInput, NotFound
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
        description="Substring of the legal (Chinese) name; two characters or more use the name bigram index",
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
    enterprise_id: UUID, data: EnterpriseUpdate, session: SessionDep, principal: Admin
) -> EnterprisePublic:
    """Change an enterprise's directory entry (tenant admin); EnterpriseUpdated only on a real change.

    Registered emails are not among the fields: they change only through a confirmed email change.
    """
    enterprise = await service.update_enterprise(session, principal.tenant_id, enterprise_id, data)
    return EnterprisePublic.model_validate(enterprise)


@router.post(
    "/{enterprise_id}/email-changes",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EmailChangePublic,
    responses={
        403: {"description": "A reviewer: only the enterprise's staff or the tenant admin may ask"},
        404: {"description": "Not the caller's enterprise"},
        409: {"description": "The new address is registered already"},
        422: {"description": "Not a valid email address, or `replaces` is not a registered one"},
        429: {"description": "Too many changes asked for in the last hour"},
    },
)
async def request_email_change(
    enterprise_id: UUID, data: EmailChangeCreate, session: SessionDep, principal: CurrentPrincipal
) -> EmailChangePublic:
    """Ask to change a registered email of the caller's own enterprise (EnterpriseEmailChangeRequested); the
    tenant admin may ask it for any enterprise of the tenant (the operator console).

    Nothing changes yet: a link valid for 24 hours is mailed to the new address, and the change takes effect
    when it is followed (`POST /v1/enterprises/email-changes/confirm`). A new request supersedes older ones.
    """
    own = ENTERPRISE in principal.roles and principal.enterprise_id == enterprise_id
    if not own and ADMIN not in principal.roles:
        if principal.is_operator:
            raise Forbidden("Only the enterprise's staff or the tenant admin may ask.")
        raise NotFound("No such enterprise.")
    change = await service.request_email_change(session, principal, enterprise_id, data)
    return EmailChangePublic.model_validate(change)


@router.get("/{enterprise_id}/email-changes", response_model=list[EmailChangePublic])
async def pending_email_changes(
    enterprise_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[EmailChangePublic]:
    """The change of a registered email still waiting for its link to be followed (none or one)."""
    if not may_read_enterprise(principal, enterprise_id):
        raise NotFound("No such enterprise.")
    changes = await service.pending_email_changes(session, principal.tenant_id, enterprise_id)
    return [EmailChangePublic.model_validate(c) for c in changes]


@router.post(
    "/email-changes/confirm",
    response_model=EmailChangeConfirmed,
    responses={
        404: {"description": "No change has this token (`reason`: unknown)"},
        410: {"description": "The link was used, superseded by a newer request, or expired (`reason`)"},
        422: {"description": "Not a token"},
    },
)
async def confirm_email_change(data: EmailChangeConfirmation, session: SessionDep) -> EmailChangeConfirmed:
    """Confirm a change with the token mailed to the new address; no sign-in needed (EnterpriseUpdated).

    Holding the token proves control of the new mailbox, which is what this step must show; who asked for the
    change was checked when it was requested. The link works once, for 24 hours, and only if no newer change
    was asked for.
    """
    enterprise, change = await service.confirm_email_change(session, data.token)
    return EmailChangeConfirmed(
        enterprise_id=enterprise.id,
        enterprise_name=enterprise.name,
        new_email=change.new_email,
        replaced_email=change.replaces_email,
    )
