"""The enterprise's List of disclosed documents: what it submitted for publication, and where each stands."""

from datetime import timedelta
from uuid import UUID

from fastapi import APIRouter, Query

from bluemap_documents.dependencies import SettingsDep
from bluemap_documents.directory.repository import DirectoryRepository
from bluemap_documents.disclosures.schemas import DisclosureRow
from bluemap_documents.documents import capabilities
from bluemap_documents.documents.categories import CATEGORIES
from bluemap_documents.documents.models import REVIEWED_KINDS, DocumentKind, DocumentStatus
from bluemap_documents.documents.repository import DocumentRepository
from bluemap_documents.review.repository import ReviewRepository
from bluemap_shared.auth import CurrentPrincipal, enterprise_scope
from bluemap_shared.db import utcnow
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/disclosures", tags=["disclosures"])

LISTED_STATUSES = (DocumentStatus.PENDING, DocumentStatus.PUBLISHED, DocumentStatus.REJECTED)
SIGNED_LABELS = ("公开说明（盖章版）", "Public explanation (signed)")


@router.get("", response_model=list[DisclosureRow])
async def list_disclosures(
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    enterprise_id: UUID | None = Query(default=None, description="Operators: one enterprise; staff see their own"),
    before: UUID | None = Query(default=None, description="Cursor: the last document_id of the previous page"),
    limit: int = Query(default=50, ge=1, le=500),
) -> list[DisclosureRow]:
    """Signed explanations and supporting documents of the enterprise, newest first, pending to published."""
    allowed, enterprise_id = enterprise_scope(principal, enterprise_id)
    if not allowed:
        return []
    tenant_id = principal.tenant_id
    documents = await DocumentRepository(session).disclosed(
        tenant_id,
        enterprise_id=enterprise_id,
        statuses=LISTED_STATUSES,
        kinds=REVIEWED_KINDS,
        before=before,
        limit=limit,
    )
    directory = DirectoryRepository(session)
    enterprises = await directory.enterprises(tenant_id, {d.enterprise_id for d in documents if d.enterprise_id})
    records = {
        str(r.record_id): r
        for r in await directory.records(tenant_id, {UUID(i) for d in documents for i in d.record_ids})
    }
    decisions = await ReviewRepository(session).for_documents(tenant_id, [d.id for d in documents])
    expires_at = utcnow() + timedelta(seconds=settings.download_url_ttl_seconds)
    rows = []
    for number, document in enumerate(documents, start=1):
        enterprise = enterprises.get(document.enterprise_id) if document.enterprise_id else None
        category = CATEGORIES.get(document.category) if document.category else None
        if document.kind == DocumentKind.SIGNED_EXPLANATION or category is None:
            label_zh, label_en = SIGNED_LABELS
        else:
            label_zh, label_en = category.label_zh, category.label_en
        decision = decisions.get(document.id)
        rows.append(
            DisclosureRow(
                no=number,
                document_id=document.id,
                date=document.created_at.astimezone(settings.timezone).date(),
                stakeholders=[enterprise.name] if enterprise else [],
                sources=list(dict.fromkeys(records[r].source_title for r in document.record_ids if r in records)),
                document_type=document.category or document.kind,
                document_type_label_zh=label_zh,
                document_type_label_en=label_en,
                category=document.category,
                submission_id=document.submission_id,
                filename=document.filename,
                file_url=capabilities.content_url(settings.api_url, settings.signing_key, document.id, expires_at),
                public_url=f"{settings.api_url}/v1/public/documents/{document.id}/content"
                if document.status == DocumentStatus.PUBLISHED
                else None,
                status=document.status,
                comments=decision.comment if decision else None,
            )
        )
    return rows
