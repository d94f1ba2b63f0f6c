"""Document use cases; the caller's transaction commits them."""

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.documents.content import sanitise_filename, sniff_content_type, storage_key
from bluemap_documents.documents.models import Document
from bluemap_documents.documents.repository import DocumentRepository
from bluemap_documents.documents.schemas import KIND_PATTERN
from bluemap_documents.documents.uploads import ReceivedUpload
from bluemap_shared.events.catalog import DocumentStored
from bluemap_shared.messaging import emit
from bluemap_shared.problems import InvalidInput, NotFound, Problem
from bluemap_shared.storage import ObjectStorage

log = structlog.get_logger()

_KIND = re.compile(KIND_PATTERN)


class StorageUnavailable(Problem):
    status = 503
    type = "storage-unavailable"
    title = "Storage unavailable"


@contextmanager
def storage_errors(operation: str) -> Iterator[None]:
    """Object storage failing is an outage to report as 503, not an unexplained 500."""
    try:
        yield
    except Problem:
        raise
    except Exception as exc:
        log.exception("documents.storage_failed", operation=operation)
        raise StorageUnavailable("Object storage is unavailable; try again later.") from exc


def parse_kind(value: str | None) -> str:
    kind = (value or "").strip()
    if len(kind) > 64 or not _KIND.match(kind):
        raise InvalidInput("Form field 'kind' must be a lower-case slug such as 'supporting'.", field="kind")
    return kind


async def store_document(
    session: AsyncSession,
    storage: ObjectStorage,
    tenant_id: str,
    enterprise_id: UUID | None,
    kind: str,
    upload: ReceivedUpload,
    *,
    uploaded_by: str,
) -> Document:
    """Put the bytes under their hash unless already there, record the document and announce it."""
    key = storage_key(upload.sha256)
    content_type = sniff_content_type(upload.head, upload.declared_type)
    with storage_errors("put"):
        # A concurrent upload of the same bytes may also put: same key, same bytes, harmless.
        if not await storage.exists(key):
            source = await asyncio.to_thread(upload.path.open, "rb")
            try:
                await storage.put(key, source, length=upload.size, content_type=content_type)
            finally:
                source.close()
    document = Document(
        tenant_id=tenant_id,
        enterprise_id=enterprise_id,
        kind=kind,
        filename=sanitise_filename(upload.filename),
        content_type=content_type,
        size=upload.size,
        sha256=upload.sha256,
        storage_key=key,
        uploaded_by=uploaded_by,
    )
    DocumentRepository(session).add(document)
    await session.flush()
    emit(
        session,
        DocumentStored(
            document_id=document.id,
            enterprise_id=document.enterprise_id,
            kind=document.kind,
            filename=document.filename,
            content_type=document.content_type,
            size=document.size,
            sha256=document.sha256,
            stored_at=document.created_at,
        ),
        tenant_id=tenant_id,
    )
    return document


async def get_document(session: AsyncSession, tenant_id: str, document_id: UUID) -> Document:
    document = await DocumentRepository(session).get(tenant_id, document_id)
    if document is None:
        raise NotFound("No such document.")
    return document
