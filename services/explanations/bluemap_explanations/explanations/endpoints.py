"""Explanations API."""

from uuid import UUID

from fastapi import APIRouter

from bluemap_explanations.explanations import service
from bluemap_explanations.explanations.schemas import ExplanationDraft, ExplanationPublic
from bluemap_shared.auth import CurrentPrincipal, EnterpriseUser, may_read_enterprise
from bluemap_shared.problems import NotFound
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/records/{record_id}/explanation", tags=["explanations"])


@router.put("", response_model=ExplanationPublic)
async def save_explanation(
    record_id: UUID, data: ExplanationDraft, session: SessionDep, principal: EnterpriseUser
) -> ExplanationPublic:
    """Save the draft explanation of one of the enterprise's records (ExplanationSaved); needs accuracy accepted."""
    explanation = await service.save_draft(
        session, principal.tenant_id, principal.enterprise_id, record_id, data, saved_by=principal.subject
    )
    return ExplanationPublic.model_validate(explanation)


@router.get("", response_model=ExplanationPublic)
async def get_explanation(record_id: UUID, session: SessionDep, principal: CurrentPrincipal) -> ExplanationPublic:
    """The explanation of a record; its enterprise's staff and the tenant's operators may read it."""
    explanation = await service.get_explanation(session, principal.tenant_id, record_id)
    if not may_read_enterprise(principal, explanation.enterprise_id):
        raise NotFound("No explanation of this record.")
    return ExplanationPublic.model_validate(explanation)
