"""The enterprise workspace's list of records to explain."""

from uuid import UUID

from fastapi import APIRouter, Query

from bluemap_explanations.explanations.drafts import not_started
from bluemap_explanations.explanations.repository import ExplanationRepository
from bluemap_explanations.explanations.rules import workspace_status
from bluemap_explanations.records.repository import ExplainableRecordRepository
from bluemap_explanations.records.schemas import ExplainableRecordPublic
from bluemap_explanations.review.repository import ReviewDecisionRepository
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
    """Explainable records of the caller's enterprise (operators: of the tenant), each with its explanation's status."""
    allowed, enterprise_id = enterprise_scope(principal, enterprise_id)
    if not allowed:
        return []
    rows = await ExplainableRecordRepository(session).list_explainable(
        principal.tenant_id, enterprise_id=enterprise_id, record_type=record_type, after=after, limit=limit
    )
    explanations = await ExplanationRepository(session).by_records(principal.tenant_id, [r.record_id for r in rows])
    decisions = await ReviewDecisionRepository(session).latest(
        principal.tenant_id, [e.id for e in explanations.values()]
    )
    listed = []
    for row in rows:
        explanation = explanations.get(row.record_id)
        decision = decisions.get(explanation.id) if explanation is not None else None
        started = not not_started(explanation) or decision is not None
        listed.append(
            ExplainableRecordPublic.model_validate(
                {
                    **row.model_dump(),
                    "saved": started,
                    "explanation_id": explanation.id if explanation is not None else None,
                    "status": workspace_status(
                        explanation.status if explanation is not None and started else None,
                        decision.decision if decision is not None else None,
                    ),
                    "review_comment": decision.comment if decision is not None else None,
                    "reviewed_at": decision.reviewed_at if decision is not None else None,
                }
            )
        )
    return listed
