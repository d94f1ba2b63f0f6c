"""The events a review decision of a document sends: one shape whether a reviewer or a submission's review decided."""

from datetime import datetime
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.documents.models import Document
from bluemap_shared.events.catalog import DocumentPublished, DocumentRejected
from bluemap_shared.messaging import emit


def announce_published(
    session: AsyncSession,
    document: Document,
    *,
    reviewed_by: str,
    comment: str | None,
    at: datetime,
    verification_code: str | None = None,
) -> None:
    """DocumentPublished: the public may now see the document (and find it by its code, for a signed scan)."""
    assert document.enterprise_id is not None  # reviewed kinds always belong to an enterprise
    emit(
        session,
        DocumentPublished(
            document_id=document.id,
            enterprise_id=document.enterprise_id,
            kind=document.kind,
            category=document.category,
            record_ids=[UUID(r) for r in document.record_ids],
            submission_id=document.submission_id,
            filename=document.filename,
            content_type=document.content_type,
            size=document.size,
            sha256=document.sha256,
            verification_code=verification_code,
            reviewed_by=reviewed_by,
            comment=comment,
            published_at=at,
        ),
        tenant_id=document.tenant_id,
    )


def announce_rejected(
    session: AsyncSession, document: Document, *, reviewed_by: str, comment: str, at: datetime
) -> None:
    """DocumentRejected: the enterprise is told why and may upload another."""
    assert document.enterprise_id is not None
    emit(
        session,
        DocumentRejected(
            document_id=document.id,
            enterprise_id=document.enterprise_id,
            kind=document.kind,
            category=document.category,
            record_ids=[UUID(r) for r in document.record_ids],
            submission_id=document.submission_id,
            filename=document.filename,
            comment=comment,
            reviewed_by=reviewed_by,
            rejected_at=at,
        ),
        tenant_id=document.tenant_id,
    )
