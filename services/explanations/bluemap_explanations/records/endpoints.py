"""The enterprise workspace's list of records to explain."""

from uuid import UUID

from fastapi import APIRouter, Query

from bluemap_explanations.explanations.repository import ExplanationRepository
from bluemap_explanations.records.repository import ExplainableRecordRepository
from bluemap_explanations.records.schemas import ExplainableRecordPublic
from bluemap_shared.auth import CurrentPrincipal, enterprise_scope
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/records", tags=["records"])


@router.get("", response_model=list[ExplainableRecordPublic])
async def list_explainable_records(
    session: SessionDep,
    principal: CurrentPrincipal,
    enterprise_id: UUID | None = Query(default=None, description="Operators only; staff always see their own"),
    record_type: str | None = Query(default=None, max_length=64),
    after: UUID | None = Query(default=None, description="Cursor: the last record_id of the previous page"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[ExplainableRecordPublic]:
    """Explainable records of the caller's enterprise (operators: of the tenant), each marked saved or not."""
    allowed, enterprise_id = enterprise_scope(principal, enterprise_id)
    if not allowed:
        return []
    rows = await ExplainableRecordRepository(session).list_explainable(
        principal.tenant_id, enterprise_id=enterprise_id, record_type=record_type, after=after, limit=limit
    )
    saved = await ExplanationRepository(session).record_ids_with_explanation(
        principal.tenant_id, [r.record_id for r in rows]
    )
    return [ExplainableRecordPublic.model_validate({**r.model_dump(), "saved": r.record_id in saved}) for r in rows]
