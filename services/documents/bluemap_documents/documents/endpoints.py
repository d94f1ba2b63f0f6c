"""Documents API."""

from datetime import timedelta
from typing import Annotated, Any, cast
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from bluemap_documents.documents import service
from bluemap_documents.documents.content import content_disposition
from bluemap_documents.documents.models import Document
from bluemap_documents.documents.repository import DocumentRepository
from bluemap_documents.documents.schemas import KIND_PATTERN, DocumentPublic
from bluemap_documents.documents.uploads import received_upload
from bluemap_documents.settings import DocumentsSettings
from bluemap_shared.auth import CurrentPrincipal, EnterpriseUser, Principal, enterprise_scope, may_read_enterprise
from bluemap_shared.problems import Forbidden, NotFound, PayloadTooLarge
from bluemap_shared.runtime import RuntimeDep, SessionDep
from bluemap_shared.storage import ObjectStorage

router = APIRouter(prefix="/v1/documents", tags=["documents"])

# Room for the multipart boundaries, part headers and the kind field around the file itself.
MULTIPART_OVERHEAD = 64 * 1024

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "kind"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "kind": {"type": "string", "pattern": KIND_PATTERN, "maxLength": 64},
                    },
                }
            }
        },
    }
}


def get_storage(request: Request) -> ObjectStorage:
    return request.app.state.storage  # type: ignore[no-any-return]


def get_settings(runtime: RuntimeDep) -> DocumentsSettings:
    # The runtime holds the settings bootstrap() built, typed as the common base class.
    return cast(DocumentsSettings, runtime.settings)


StorageDep = Annotated[ObjectStorage, Depends(get_storage)]
SettingsDep = Annotated[DocumentsSettings, Depends(get_settings)]


async def _readable(session: SessionDep, principal: Principal, document_id: UUID) -> Document:
    document = await service.get_document(session, principal.tenant_id, document_id)
    if not may_read_enterprise(principal, document.enterprise_id):
        raise NotFound("No such document.")
    return document


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentPublic,
    openapi_extra=_UPLOAD_BODY,
    responses={413: {"description": "The file exceeds max_upload_bytes"}},
)
async def upload_document(
    request: Request, session: SessionDep, principal: EnterpriseUser, storage: StorageDep, settings: SettingsDep
) -> DocumentPublic:
    """Store a file of the caller's enterprise (multipart: `file` and `kind`) and announce it (DocumentStored)."""
    if principal.enterprise_id is None:
        raise Forbidden("This account is not linked to an enterprise.")
    declared_length = request.headers.get("content-length", "")
    if declared_length.isdigit() and int(declared_length) > settings.max_upload_bytes + MULTIPART_OVERHEAD:
        # Refused before reading a byte of it.
        raise PayloadTooLarge(
            f"The file exceeds the limit of {settings.max_upload_bytes} bytes.",
            max_upload_bytes=settings.max_upload_bytes,
        )
    async with received_upload(
        request.headers.get("content-type", ""), request.stream(), max_bytes=settings.max_upload_bytes
    ) as upload:
        kind = service.parse_kind(upload.fields.get("kind"))
        document = await service.store_document(
            session,
            storage,
            principal.tenant_id,
            principal.enterprise_id,
            kind,
            upload,
            uploaded_by=principal.subject,
        )
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
        200: {"description": "The bytes, as an attachment", "content": {"application/octet-stream": {}}},
        307: {"description": "Redirect to a short-lived presigned URL of the object storage"},
    },
)
async def download_document(
    document_id: UUID, session: SessionDep, principal: CurrentPrincipal, storage: StorageDep, settings: SettingsDep
) -> Response:
    """The document's bytes: a redirect to object storage when it can presign, else streamed through."""
    document = await _readable(session, principal, document_id)
    with service.storage_errors("download_url"):
        url = await storage.download_url(
            document.storage_key,
            filename=document.filename,
            expires=timedelta(seconds=settings.download_url_ttl_seconds),
        )
    if url is not None:
        # The URL is a bearer credential until it expires: keep it out of shared caches.
        return RedirectResponse(
            url, status_code=status.HTTP_307_TEMPORARY_REDIRECT, headers={"Cache-Control": "no-store"}
        )
    with service.storage_errors("exists"):
        # Checked first: once streaming starts, a missing object can only cut the response short.
        present = await storage.exists(document.storage_key)
    if not present:
        raise service.StorageUnavailable("The document's content is missing from storage.")
    return StreamingResponse(
        storage.read(document.storage_key),
        media_type=document.content_type,
        headers={
            "Content-Disposition": content_disposition(document.filename),
            "Content-Length": str(document.size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
