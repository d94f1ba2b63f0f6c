"""Documents API: uploads (plain files and supporting documents), metadata, content, the category catalogue."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.dependencies import SettingsDep, StorageDep, multipart_body, receive, upload_body_limit
from bluemap_documents.documents import capabilities, service
from bluemap_documents.documents.capabilities import Disposition
from bluemap_documents.documents.categories import CATEGORIES, GROUPS
from bluemap_documents.documents.delivery import content_response
from bluemap_documents.documents.models import Document, DocumentKind
from bluemap_documents.documents.repository import DocumentRepository
from bluemap_documents.documents.schemas import KIND_PATTERN, CategoryPublic, DocumentPublic
from bluemap_documents.documents.uploads import ReceivedUpload
from bluemap_documents.settings import DocumentsSettings
from bluemap_shared.auth import (
    CurrentPrincipal,
    EnterpriseUser,
    Principal,
    current_principal,
    enterprise_scope,
    may_read_enterprise,
)
from bluemap_shared.body_limit import large_body
from bluemap_shared.db import utcnow
from bluemap_shared.problems import Forbidden, InvalidInput, NotFound
from bluemap_shared.runtime import SessionDep
from bluemap_shared.storage import ObjectStorage

router = APIRouter(prefix="/v1/documents", tags=["documents"])
catalogue_router = APIRouter(tags=["documents"])

_UPLOAD_BODY = multipart_body(
    {
        "file": {"type": "string", "format": "binary"},
        "kind": {
            "type": "string",
            "pattern": KIND_PATTERN,
            "maxLength": 64,
            "description": "Required without category; with one it can only be 'supporting'",
        },
        "category": {
            "type": "string",
            "enum": sorted(CATEGORIES),
            "description": "A supporting document: a PDF, validated, then reviewed",
        },
        "record_ids": {
            "type": "string",
            "description": "Records of your enterprise the document supports, comma-separated",
        },
    },
    ["file"],
)

_bearer = HTTPBearer(auto_error=False)


class CapabilityRefused(Forbidden):
    type = "capability-refused"
    title = "Download link refused"


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def _readable(session: SessionDep, principal: Principal, document_id: UUID) -> Document:
    document = await service.get_document(session, principal.tenant_id, document_id)
    if not may_read_enterprise(principal, document.enterprise_id):
        raise NotFound("No such document.")
    return document


async def _store_upload(
    session: AsyncSession,
    storage: ObjectStorage,
    settings: DocumentsSettings,
    principal: Principal,
    enterprise_id: UUID,
    upload: ReceivedUpload,
) -> Document:
    category = (upload.fields.get("category") or "").strip()
    if not category:
        kind = service.parse_kind(upload.fields.get("kind"))
        return await service.store_plain_document(
            session,
            storage,
            principal.tenant_id,
            enterprise_id,
            kind,
            upload,
            uploaded_by=principal.subject,
            max_pages=settings.max_pdf_pages,
        )
    kind_field = (upload.fields.get("kind") or DocumentKind.SUPPORTING).strip()
    if kind_field != DocumentKind.SUPPORTING:
        raise InvalidInput("A document with a category is a 'supporting' document.", field="kind", reason="kind")
    return await service.store_supporting_document(
        session,
        storage,
        principal.tenant_id,
        enterprise_id,
        upload,
        category=service.parse_category(category),
        record_ids=service.parse_record_ids(upload.fields.get("record_ids")),
        uploaded_by=principal.subject,
        max_pages=settings.max_pdf_pages,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentPublic,
    openapi_extra=_UPLOAD_BODY,
    responses={
        413: {"description": "The file exceeds max_upload_bytes"},
        415: {"description": "Not multipart, or (with a category) not a PDF"},
        422: {"description": "Bad fields, or a PDF refused (any PDF, with or without category); `reason` says why"},
    },
)
@large_body(upload_body_limit)
async def upload_document(
    request: Request, session: SessionDep, principal: EnterpriseUser, storage: StorageDep, settings: SettingsDep
) -> DocumentPublic:
    """Store a file of the caller's enterprise and announce it (DocumentStored).

    With `category` (and optional `record_ids`) it is a supporting document: a validated PDF that
    waits for review. Without, a plain file of the given `kind`.
    """
    if principal.enterprise_id is None:
        raise Forbidden("This account is not linked to an enterprise.")
    async with receive(request, settings) as upload:
        document = await _store_upload(session, storage, settings, principal, principal.enterprise_id, upload)
    return DocumentPublic.model_validate(document)


@router.get("", response_model=list[DocumentPublic])
async def list_documents(
    session: SessionDep,
    principal: CurrentPrincipal,
    enterprise_id: UUID | None = Query(default=None, description="Operators only; staff always see their own"),
    kind: str | None = Query(default=None, max_length=64),
    before: UUID | None = Query(default=None, description="Cursor: the last id of the previous page"),
    limit: int = Query(default=50, ge=1, le=500),
) -> list[DocumentPublic]:
    """Documents of the caller's enterprise (operators: of the tenant), newest first."""
    allowed, enterprise_id = enterprise_scope(principal, enterprise_id)
    if not allowed:
        return []
    rows = await DocumentRepository(session).list(
        principal.tenant_id, enterprise_id=enterprise_id, kind=kind, before=before, limit=limit
    )
    return [DocumentPublic.model_validate(d) for d in rows]


@router.get("/{document_id}", response_model=DocumentPublic)
async def get_document(document_id: UUID, session: SessionDep, principal: CurrentPrincipal) -> DocumentPublic:
    """A document's metadata; its enterprise's staff and the tenant's operators may read it."""
    return DocumentPublic.model_validate(await _readable(session, principal, document_id))


@router.get(
    "/{document_id}/content",
    response_class=Response,
    responses={
        200: {"description": "The bytes, as an attachment (or inline)", "content": {"application/octet-stream": {}}},
        307: {"description": "Redirect to a short-lived presigned URL of the object storage"},
        403: {"description": "A capability URL that was tampered with or has expired"},
    },
)
async def download_document(
    document_id: UUID,
    request: Request,
    session: SessionDep,
    storage: StorageDep,
    settings: SettingsDep,
    credentials: Credentials,
    expires: int | None = Query(default=None, description="Capability URLs: expiry, Unix seconds"),
    signature: str | None = Query(default=None, max_length=128, description="Capability URLs: HMAC-SHA256, hex"),
    disposition: Disposition = Query(default="attachment", description="inline for previews of PDFs"),
) -> Response:
    """The document's bytes, for a bearer token of a reader, or for anyone holding a valid capability URL."""
    if expires is None and signature is None:
        principal = await current_principal(request, credentials)
        document = await _readable(session, principal, document_id)
    else:
        if expires is None or signature is None:
            raise CapabilityRefused("A download link needs both expires and signature.", reason="invalid-signature")
        reason = capabilities.refusal(
            settings.signing_key,
            document_id,
            expires,
            signature,
            disposition,
            now=utcnow(),
            longest_seconds=settings.longest_link_seconds,
        )
        if reason is not None:
            raise CapabilityRefused(
                "This download link has expired." if reason == "expired" else "This download link is not valid.",
                reason=reason,
            )
        found = await DocumentRepository(session).get_by_id(document_id)
        if found is None:
            raise NotFound("No such document.")
        document = found
    return await content_response(document, storage, settings, disposition=disposition)


@catalogue_router.get("/v1/document-categories", response_model=list[CategoryPublic])
async def list_categories() -> list[CategoryPublic]:
    """Categories of supporting documents, grouped as on the upload page, with Chinese and English labels."""
    return [
        CategoryPublic(
            code=c.code,
            group=c.group,
            group_label_zh=GROUPS[c.group].label_zh,
            group_label_en=GROUPS[c.group].label_en,
            label_zh=c.label_zh,
            label_en=c.label_en,
        )
        for c in CATEGORIES.values()
    ]


@catalogue_router.get(
    "/v1/public/documents/{document_id}/content",
    response_class=Response,
    tags=["public"],
    responses={200: {"description": "The published document's bytes", "content": {"application/pdf": {}}}},
)
async def download_published_document(
    document_id: UUID,
    session: SessionDep,
    storage: StorageDep,
    settings: SettingsDep,
    disposition: Disposition = Query(default="attachment", description="inline for previews of PDFs"),
) -> Response:
    """A published document, for anyone; 404 for everything that is not published."""
    document = await DocumentRepository(session).get_published(document_id)
    if document is None:
        raise NotFound("No such published document.")
    return await content_response(
        document, storage, settings, disposition=disposition, cache_control="public, max-age=300"
    )
