"""Review API: the tenant's reviewers and admins decide which documents the public sees."""

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Query

from bluemap_documents.dependencies import SettingsDep
from bluemap_documents.documents.models import REVIEWED_KINDS, DocumentStatus
from bluemap_documents.documents.repository import DocumentRepository
from bluemap_documents.review import service
from bluemap_documents.review.models import Decision
from bluemap_documents.review.repository import ReviewRepository
from bluemap_documents.review.schemas import DecisionCreate, DecisionPublic, ReviewItemPublic
from bluemap_shared.auth import Operator
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/review", tags=["review"])

QueueStatus = Literal["pending", "published", "rejected", "superseded"]


@router.get("/documents", response_model=list[ReviewItemPublic])
async def review_queue(
    session: SessionDep,
    principal: Operator,
    settings: SettingsDep,
    status: QueueStatus = Query(default="pending"),
    after: UUID | None = Query(default=None, description="Cursor: the last id of the previous page"),
    limit: int = Query(default=50, ge=1, le=200),
) -> list[ReviewItemPublic]:
    """Signed scans and supporting documents of the tenant in one status, oldest first, with preview links."""
    documents = await DocumentRepository(session).review_queue(
        principal.tenant_id, status=DocumentStatus(status), kinds=REVIEWED_KINDS, after=after, limit=limit
    )
    return await service.review_items(session, settings, documents)


@router.get("/documents/{document_id}", response_model=ReviewItemPublic)
async def review_item(
    document_id: UUID, session: SessionDep, principal: Operator, settings: SettingsDep
) -> ReviewItemPublic:
    """One document under (or past) review."""
    document = await service.reviewable(session, principal.tenant_id, document_id)
    [item] = await service.review_items(session, settings, [document])
    return item


@router.post("/documents/{document_id}/approve", response_model=ReviewItemPublic)
async def approve_document(
    document_id: UUID, body: DecisionCreate, session: SessionDep, principal: Operator, settings: SettingsDep
) -> ReviewItemPublic:
    """Publish a pending document (DocumentPublished); 409 when it was decided already or replaced."""
    document, _ = await service.decide(session, principal, document_id, Decision.APPROVED, body.comment)
    [item] = await service.review_items(session, settings, [document])
    return item


@router.post("/documents/{document_id}/reject", response_model=ReviewItemPublic)
async def reject_document(
    document_id: UUID, body: DecisionCreate, session: SessionDep, principal: Operator, settings: SettingsDep
) -> ReviewItemPublic:
    """Send a pending document back with a comment (DocumentRejected); the enterprise may upload again."""
    document, _ = await service.decide(session, principal, document_id, Decision.REJECTED, body.comment)
    [item] = await service.review_items(session, settings, [document])
    return item


@router.get("/decisions", response_model=list[DecisionPublic])
async def decision_history(
    session: SessionDep,
    principal: Operator,
    enterprise_id: UUID | None = None,
    document_id: UUID | None = None,
    submission_id: UUID | None = None,
    before: UUID | None = Query(default=None, description="Cursor: the last id of the previous page"),
    limit: int = Query(default=50, ge=1, le=500),
) -> list[DecisionPublic]:
    """Review decisions of the tenant, newest first, optionally of one enterprise, document or submission."""
    rows = await ReviewRepository(session).history(
        principal.tenant_id,
        enterprise_id=enterprise_id,
        document_id=document_id,
        submission_id=submission_id,
        before=before,
        limit=limit,
    )
    return [DecisionPublic.model_validate(row) for row in rows]
