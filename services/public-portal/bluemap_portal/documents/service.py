"""Document projections, the public document list and verification; the caller's transaction commits."""

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.documents.models import PortalDocument, PortalRenderedPdf
from bluemap_portal.documents.repository import DocumentFilter, DocumentRepository, RenderedPdfRepository
from bluemap_portal.documents.schemas import DocumentPublic, VerificationResult
from bluemap_portal.enterprises.repository import EnterpriseRepository
from bluemap_portal.record_types import ENTERPRISE_FEEDBACK
from bluemap_portal.site.page_cache import touch_pages
from bluemap_shared.events.catalog import DocumentPublished, PdfRendered
from bluemap_shared.problems import NotFound

_CODE = re.compile(r"^[0-9a-z-]{1,128}$")
PDF = "application/pdf"


def normalize_code(raw: str | None) -> str | None:
    """A verification code as stored (trimmed, lower case), or None when it cannot be one."""
    code = (raw or "").strip().lower()
    return code if _CODE.match(code) else None


def download_url(documents_public_base_url: str, document_id: UUID) -> str:
    """The documents service's public download of a published document."""
    return f"{documents_public_base_url.rstrip('/')}/v1/public/documents/{document_id}/content"


def preview_url(documents_public_base_url: str, document_id: UUID, content_type: str) -> str | None:
    """A PDF's download asking to be shown inline; other types are only ever downloaded."""
    if content_type != PDF:
        return None
    return download_url(documents_public_base_url, document_id) + "?disposition=inline"


async def project_published(session: AsyncSession, tenant_id: str, event: DocumentPublished) -> None:
    """List an approved document under its records and its enterprise."""
    touch_pages(session, tenant_id, enterprise_ids=[event.enterprise_id], record_types=[ENTERPRISE_FEEDBACK])
    await DocumentRepository(session).upsert(
        {
            "id": event.document_id,
            "tenant_id": tenant_id,
            "enterprise_id": event.enterprise_id,
            "kind": event.kind,
            "category": event.category,
            "record_ids": [str(r) for r in event.record_ids],
            "submission_id": event.submission_id,
            "filename": event.filename,
            "content_type": event.content_type,
            "size": event.size,
            "sha256": event.sha256,
            "verification_code": normalize_code(event.verification_code),
            "published_at": event.published_at,
        }
    )


async def project_rendered(session: AsyncSession, tenant_id: str, event: PdfRendered) -> None:
    """Remember a rendered public explanation's number and code, so the verify page knows them."""
    touch_pages(session, tenant_id, enterprise_ids=[event.enterprise_id], record_types=[ENTERPRISE_FEEDBACK])
    await RenderedPdfRepository(session).upsert(
        {
            "id": event.document_id,
            "tenant_id": tenant_id,
            "submission_id": event.submission_id,
            "enterprise_id": event.enterprise_id,
            "language": event.language,
            "document_number": event.document_number,
            "verification_code": event.verification_code.strip().lower(),
            "filename": event.filename,
            "rendered_at": event.rendered_at,
        }
    )


def to_public(
    document: PortalDocument, rendered: PortalRenderedPdf | None, *, documents_public_base_url: str
) -> DocumentPublic:
    """The public view of a document; a signed scan shows its explanation's number and code."""
    return DocumentPublic(
        id=document.id,
        kind=document.kind,
        category=document.category,
        filename=document.filename,
        content_type=document.content_type,
        size=document.size,
        sha256=document.sha256,
        record_ids=[UUID(r) for r in document.record_ids],
        submission_id=document.submission_id,
        verification_code=document.verification_code or (rendered.verification_code if rendered else None),
        document_number=rendered.document_number if rendered else None,
        published_at=document.published_at,
        download_url=download_url(documents_public_base_url, document.id),
        preview_url=preview_url(documents_public_base_url, document.id, document.content_type),
    )


async def public_documents(
    session: AsyncSession, tenant_id: str, documents: Iterable[PortalDocument], *, documents_public_base_url: str
) -> list[DocumentPublic]:
    """Documents with their submissions' rendered PDFs, in the order given."""
    documents = list(documents)
    submissions = {d.submission_id for d in documents if d.submission_id is not None}
    rendered: dict[UUID, PortalRenderedPdf] = {}
    # Newest first: the first rendering seen of a submission is its latest.
    for pdf in await RenderedPdfRepository(session).of_submissions(tenant_id, submissions):
        rendered.setdefault(pdf.submission_id, pdf)
    return [
        to_public(
            d,
            rendered.get(d.submission_id) if d.submission_id else None,
            documents_public_base_url=documents_public_base_url,
        )
        for d in documents
    ]


async def of_enterprise(
    session: AsyncSession, tenant_id: str, enterprise_id: UUID, *, documents_public_base_url: str
) -> list[DocumentPublic]:
    documents = await DocumentRepository(session).of_enterprise(tenant_id, enterprise_id)
    return await public_documents(session, tenant_id, documents, documents_public_base_url=documents_public_base_url)


async def get_many(session: AsyncSession, tenant_id: str, ids: Iterable[UUID]) -> Sequence[PortalDocument]:
    return await DocumentRepository(session).get_many(tenant_id, set(ids))


async def page(
    session: AsyncSession, tenant_id: str, *, where: DocumentFilter, offset: int, limit: int
) -> Sequence[PortalDocument]:
    return await DocumentRepository(session).page(tenant_id, where=where, offset=offset, limit=limit)


async def count(session: AsyncSession, tenant_id: str, *, where: DocumentFilter) -> int:
    return await DocumentRepository(session).count(tenant_id, where=where)


async def types(session: AsyncSession, tenant_id: str) -> list[str]:
    return await DocumentRepository(session).types(tenant_id)


async def published_range(session: AsyncSession, tenant_id: str) -> tuple[datetime | None, datetime | None]:
    return await DocumentRepository(session).published_range(tenant_id)


async def verify(
    session: AsyncSession, tenant_id: str, raw_code: str | None, *, documents_public_base_url: str
) -> VerificationResult:
    """What a verification code matches in this tenant: a rendered explanation (and its signed scan, once
    published) or a published document; NotFound when nothing does."""
    code = normalize_code(raw_code)
    if code is None:
        raise NotFound("No document has this verification code.")
    rendered = await RenderedPdfRepository(session).by_code(tenant_id, code)
    if rendered is not None:
        published = await DocumentRepository(session).of_submission(tenant_id, rendered.submission_id)
        document = published[0] if published else None
        return await _result(
            session,
            tenant_id,
            code=code,
            kind="public_explanation",
            enterprise_id=rendered.enterprise_id,
            document_number=rendered.document_number,
            filename=rendered.filename,
            issued_at=rendered.rendered_at,
            document=to_public(document, rendered, documents_public_base_url=documents_public_base_url)
            if document
            else None,
        )
    document = await DocumentRepository(session).by_code(tenant_id, code)
    if document is None:
        raise NotFound("No document has this verification code.")
    [public] = await public_documents(
        session, tenant_id, [document], documents_public_base_url=documents_public_base_url
    )
    return await _result(
        session,
        tenant_id,
        code=code,
        kind="public_explanation" if public.document_number else "document",
        enterprise_id=document.enterprise_id,
        document_number=public.document_number,
        filename=document.filename,
        issued_at=document.published_at,
        document=public,
    )


async def _result(
    session: AsyncSession,
    tenant_id: str,
    *,
    code: str,
    kind: Literal["public_explanation", "document"],
    enterprise_id: UUID,
    document_number: str | None,
    filename: str,
    issued_at: datetime,
    document: DocumentPublic | None,
) -> VerificationResult:
    enterprise = await EnterpriseRepository(session).get(tenant_id, enterprise_id)
    return VerificationResult(
        code=code,
        kind=kind,
        status="published" if document else "awaiting_signed_copy",
        document_number=document_number,
        filename=filename,
        enterprise_id=enterprise_id,
        enterprise_name=enterprise.name if enterprise else None,
        enterprise_name_en=enterprise.name_en if enterprise else None,
        issued_at=issued_at,
        published_at=document.published_at if document else None,
        document=document,
    )
