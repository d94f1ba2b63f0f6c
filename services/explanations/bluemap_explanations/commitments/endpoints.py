"""Commitments API: read the text in force, accept or decline it; admins publish new versions."""

from uuid import UUID

from fastapi import APIRouter, Query, status

from bluemap_explanations.commitments import service
from bluemap_explanations.commitments.models import CommitmentResponse
from bluemap_explanations.commitments.repository import CommitmentRepository
from bluemap_explanations.commitments.schemas import (
    CommitmentAnswer,
    CommitmentPublic,
    CommitmentResponsePublic,
    CommitmentTextPublic,
    CommitmentVersionCreate,
)
from bluemap_explanations.commitments.texts import CommitmentKind, Language
from bluemap_explanations.enterprise import own_enterprise
from bluemap_shared.auth import ENTERPRISE, Admin, CurrentPrincipal, EnterpriseUser, enterprise_scope
from bluemap_shared.client_ip import ClientIp
from bluemap_shared.runtime import SessionDep

router = APIRouter(tags=["commitments"])


@router.get("/v1/commitments/{kind}", response_model=CommitmentPublic)
async def get_commitment(
    kind: CommitmentKind, session: SessionDep, principal: CurrentPrincipal, lang: Language = "zh"
) -> CommitmentPublic:
    """The text in force of a commitment of the caller's tenant, with the caller's enterprise's answer to it."""
    text = await service.current_text(session, principal.tenant_id, kind, lang)
    response: CommitmentResponse | None = None
    if ENTERPRISE in principal.roles and principal.enterprise_id is not None:
        response = await service.standing(session, principal.tenant_id, principal.enterprise_id, kind)
    return CommitmentPublic(
        kind=text.kind,
        version=text.version,
        language=text.language,
        text=text.text,
        text_sha256=text.text_sha256,
        published_at=text.published_at,
        response=CommitmentResponsePublic.model_validate(response) if response is not None else None,
    )


@router.post(
    "/v1/commitments/{kind}/versions", status_code=status.HTTP_201_CREATED, response_model=list[CommitmentTextPublic]
)
async def publish_commitment_version(
    kind: CommitmentKind, data: CommitmentVersionCreate, session: SessionDep, principal: Admin
) -> list[CommitmentTextPublic]:
    """Put a new version in force in the caller's tenant, in every language; enterprises accept it anew."""
    texts = await service.publish_version(session, principal.tenant_id, kind, data, published_by=principal.subject)
    return [CommitmentTextPublic.model_validate(t) for t in texts]


@router.post(
    "/v1/commitments/{kind}/acceptances", status_code=status.HTTP_201_CREATED, response_model=CommitmentResponsePublic
)
async def accept_commitment(
    kind: CommitmentKind, data: CommitmentAnswer, session: SessionDep, principal: EnterpriseUser, client_ip: ClientIp
) -> CommitmentResponsePublic:
    """Accept the version in force for the caller's enterprise (CommitmentAccepted), with who, when and from where."""
    response = await service.answer(
        session,
        principal.tenant_id,
        own_enterprise(principal),
        kind,
        version=data.version,
        language=data.language,
        accepted=True,
        responded_by=principal.subject,
        client_ip=client_ip,
    )
    return CommitmentResponsePublic.model_validate(response)


@router.post(
    "/v1/commitments/{kind}/declines", status_code=status.HTTP_201_CREATED, response_model=CommitmentResponsePublic
)
async def decline_commitment(
    kind: CommitmentKind, data: CommitmentAnswer, session: SessionDep, principal: EnterpriseUser, client_ip: ClientIp
) -> CommitmentResponsePublic:
    """Decline the version in force: kept as evidence; explaining (or sending) stays blocked."""
    response = await service.answer(
        session,
        principal.tenant_id,
        own_enterprise(principal),
        kind,
        version=data.version,
        language=data.language,
        accepted=False,
        responded_by=principal.subject,
        client_ip=client_ip,
    )
    return CommitmentResponsePublic.model_validate(response)


@router.get("/v1/commitment-responses", response_model=list[CommitmentResponsePublic])
async def list_commitment_responses(
    session: SessionDep,
    principal: CurrentPrincipal,
    enterprise_id: UUID | None = Query(default=None, description="Operators only; staff always see their own"),
    kind: CommitmentKind | None = None,
    after: UUID | None = Query(default=None, description="Cursor: the last id of the previous page"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[CommitmentResponsePublic]:
    """Every Accept and Decline of the caller's enterprise (operators: of the tenant), oldest first."""
    allowed, enterprise_id = enterprise_scope(principal, enterprise_id)
    if not allowed:
        return []
    rows = await CommitmentRepository(session).list_responses(
        principal.tenant_id, enterprise_id=enterprise_id, kind=kind, after=after, limit=limit
    )
    return [CommitmentResponsePublic.model_validate(r) for r in rows]
