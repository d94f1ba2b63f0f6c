"""Document use cases; the caller's transaction commits them."""

import asyncio
import hashlib
import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import BinaryIO
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.directory.service import records_of_enterprise
from bluemap_documents.documents.categories import CATEGORIES
from bluemap_documents.documents.content import sanitise_filename, sniff_content_type, storage_key
from bluemap_documents.documents.models import Document, DocumentKind, DocumentStatus
from bluemap_documents.documents.pdf_checks import PdfFacts, check_pdf
from bluemap_documents.documents.repository import DocumentRepository
from bluemap_documents.documents.schemas import KIND_PATTERN
from bluemap_documents.documents.uploads import ReceivedUpload
from bluemap_shared.events.catalog import DocumentStored
from bluemap_shared.messaging import emit
from bluemap_shared.problems import InvalidInput, NotFound, Problem
from bluemap_shared.storage import ObjectStorage

log = structlog.get_logger()

_KIND = re.compile(KIND_PATTERN)
PDF = "application/pdf"
# What fits in a form field of MAX_FIELD_BYTES (1024), comma-separated.
MAX_RECORD_IDS = 25


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


def parse_category(value: str) -> str:
    category = value.strip()
    if category not in CATEGORIES:
        raise InvalidInput(
            f"Unknown category {category[:64]!r}; see GET /v1/document-categories.",
            field="category",
            reason="unknown-category",
        )
    return category


def parse_record_ids(value: str | None) -> list[UUID]:
    """Record ids from a form field: separated by commas or whitespace, duplicates dropped, order kept."""
    ids: list[UUID] = []
    for token in re.split(r"[\s,]+", (value or "").strip()):
        if not token:
            continue
        try:
            record_id = UUID(token)
        except ValueError:
            raise InvalidInput(
                f"Not a record id: {token[:64]!r}.", field="record_ids", reason="invalid-record-id"
            ) from None
        if record_id not in ids:
            ids.append(record_id)
    if len(ids) > MAX_RECORD_IDS:
        raise InvalidInput(f"At most {MAX_RECORD_IDS} records per document.", field="record_ids", reason="too-many")
    return ids


def pdf_filename(raw: str) -> str:
    """The sanitised name, ending in .pdf whatever the client called it."""
    name = sanitise_filename(raw)
    return name if name.lower().endswith(".pdf") else sanitise_filename(name + ".pdf")


async def validate_pdf(upload: ReceivedUpload, *, max_pages: int) -> PdfFacts:
    """Parse the upload with pypdf in a worker thread; a Problem with a `reason` when refused."""
    return await asyncio.to_thread(check_pdf, upload.path, max_pages=max_pages)


async def put_object(
    storage: ObjectStorage,
    tenant_id: str,
    sha256_hex: str,
    open_source: Callable[[], BinaryIO],
    *,
    length: int,
    content_type: str,
) -> str:
    """Put bytes under the tenant's key for their hash unless already there; returns the key."""
    key = storage_key(tenant_id, sha256_hex)
    with storage_errors("put"):
        # A concurrent upload of the same bytes may also put: same key, same bytes, harmless.
        if not await storage.exists(key):
            source = await asyncio.to_thread(open_source)
            try:
                await storage.put(key, source, length=length, content_type=content_type, sha256=sha256_hex)
            finally:
                source.close()
    return key


def stored_event(document: Document) -> DocumentStored:
    return DocumentStored(
        document_id=document.id,
        enterprise_id=document.enterprise_id,
        kind=document.kind,
        filename=document.filename,
        content_type=document.content_type,
        size=document.size,
        sha256=document.sha256,
        stored_at=document.created_at,
        category=document.category,
        record_ids=[UUID(r) for r in document.record_ids],
        submission_id=document.submission_id,
    )


async def record_document(session: AsyncSession, document: Document) -> Document:
    """Add the row and announce it (DocumentStored)."""
    DocumentRepository(session).add(document)
    await session.flush()
    emit(session, stored_event(document), tenant_id=document.tenant_id)
    return document


async def store_document(
    session: AsyncSession,
    storage: ObjectStorage,
    tenant_id: str,
    enterprise_id: UUID | None,
    kind: str,
    upload: ReceivedUpload,
    *,
    uploaded_by: str,
    status: DocumentStatus = DocumentStatus.STORED,
    category: str | None = None,
    record_ids: Sequence[UUID] = (),
    submission_id: UUID | None = None,
    pdf: PdfFacts | None = None,
) -> Document:
    """Put the bytes under their hash unless already there, record the document and announce it."""
    content_type = PDF if pdf is not None else sniff_content_type(upload.head, upload.declared_type)
    key = await put_object(
        storage, tenant_id, upload.sha256, lambda: upload.path.open("rb"), length=upload.size, content_type=content_type
    )
    document = Document(
        tenant_id=tenant_id,
        enterprise_id=enterprise_id,
        kind=kind,
        filename=pdf_filename(upload.filename) if pdf is not None else sanitise_filename(upload.filename),
        content_type=content_type,
        size=upload.size,
        sha256=upload.sha256,
        storage_key=key,
        uploaded_by=uploaded_by,
        status=status,
        category=category,
        record_ids=[str(r) for r in record_ids],
        submission_id=submission_id,
        pages=pdf.pages if pdf is not None else None,
    )
    return await record_document(session, document)


async def store_generated_pdf(storage: ObjectStorage, tenant_id: str, data: bytes) -> tuple[str, str]:
    """Put a PDF this service made for tenant_id; returns (sha256, key)."""
    digest = hashlib.sha256(data).hexdigest()
    key = await put_object(storage, tenant_id, digest, lambda: io.BytesIO(data), length=len(data), content_type=PDF)
    return digest, key


async def store_supporting_document(
    session: AsyncSession,
    storage: ObjectStorage,
    tenant_id: str,
    enterprise_id: UUID,
    upload: ReceivedUpload,
    *,
    category: str,
    record_ids: Sequence[UUID],
    uploaded_by: str,
    max_pages: int,
) -> Document:
    """A supporting document (STEP 11-12): a validated PDF in a category, naming its enterprise's records."""
    await records_of_enterprise(session, tenant_id, enterprise_id, record_ids)
    facts = await validate_pdf(upload, max_pages=max_pages)
    return await store_document(
        session,
        storage,
        tenant_id,
        enterprise_id,
        DocumentKind.SUPPORTING,
        upload,
        uploaded_by=uploaded_by,
        status=DocumentStatus.PENDING,
        category=category,
        record_ids=record_ids,
        pdf=facts,
    )


async def store_plain_document(
    session: AsyncSession,
    storage: ObjectStorage,
    tenant_id: str,
    enterprise_id: UUID,
    kind: str,
    upload: ReceivedUpload,
    *,
    uploaded_by: str,
    max_pages: int,
) -> Document:
    """A file of any allowed type; bytes that are a PDF pass the same checks as a supporting document.

    A stored application/pdf is shown inline (the reviewer console embeds it), so no PDF is stored
    unchecked: JavaScript, launch or submit actions, embedded files, encryption are refused (422).
    """
    facts = None
    if sniff_content_type(upload.head, upload.declared_type) == PDF:
        facts = await validate_pdf(upload, max_pages=max_pages)
    return await store_document(
        session, storage, tenant_id, enterprise_id, kind, upload, uploaded_by=uploaded_by, pdf=facts
    )


async def get_document(session: AsyncSession, tenant_id: str, document_id: UUID) -> Document:
    document = await DocumentRepository(session).get(tenant_id, document_id)
    if document is None:
        raise NotFound("No such document.")
    return document
