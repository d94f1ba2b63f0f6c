"""Sending a document's bytes: a presigned redirect when storage can, else streamed through this service."""

from datetime import timedelta

from fastapi import status
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from bluemap_documents.documents.capabilities import Disposition
from bluemap_documents.documents.content import content_disposition
from bluemap_documents.documents.models import Document
from bluemap_documents.documents.service import PDF, StorageUnavailable, storage_errors
from bluemap_documents.settings import DocumentsSettings
from bluemap_shared.storage import ObjectStorage

PRIVATE = "private, no-store"


async def content_response(
    document: Document,
    storage: ObjectStorage,
    settings: DocumentsSettings,
    *,
    disposition: Disposition = "attachment",
    cache_control: str = PRIVATE,
) -> Response:
    """The document's bytes; inline (for previews) only for PDFs, which we validated and never sniff."""
    inline = disposition == "inline" and document.content_type == PDF
    if not inline:
        with storage_errors("download_url"):
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
    with storage_errors("exists"):
        # Checked first: once streaming starts, a missing object can only cut the response short.
        present = await storage.exists(document.storage_key)
    if not present:
        raise StorageUnavailable("The document's content is missing from storage.")
    headers = {
        "Content-Disposition": content_disposition(document.filename, "inline" if inline else "attachment"),
        "Content-Length": str(document.size),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": cache_control,
    }
    return StreamingResponse(storage.read(document.storage_key), media_type=document.content_type, headers=headers)
