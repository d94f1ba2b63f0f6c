"""Request dependencies every router of the service shares: storage, settings, the streamed upload."""

from contextlib import AbstractAsyncContextManager
from typing import Annotated, cast

from fastapi import Depends, Request

from bluemap_documents.documents.uploads import ReceivedUpload, received_upload
from bluemap_documents.settings import DocumentsSettings
from bluemap_shared.body_limit import MULTIPART_OVERHEAD
from bluemap_shared.problems import PayloadTooLarge
from bluemap_shared.runtime import RuntimeDep
from bluemap_shared.storage import ObjectStorage


def get_storage(request: Request) -> ObjectStorage:
    return request.app.state.storage  # type: ignore[no-any-return]


def get_settings(runtime: RuntimeDep) -> DocumentsSettings:
    # The runtime holds the settings bootstrap() built, typed as the common base class.
    return cast(DocumentsSettings, runtime.settings)


StorageDep = Annotated[ObjectStorage, Depends(get_storage)]
SettingsDep = Annotated[DocumentsSettings, Depends(get_settings)]


def upload_body_limit(settings: DocumentsSettings) -> int:
    """The body limit of upload endpoints (`@large_body(upload_body_limit)`): one file and its form."""
    return settings.max_upload_bytes + MULTIPART_OVERHEAD


def receive(request: Request, settings: DocumentsSettings) -> AbstractAsyncContextManager[ReceivedUpload]:
    """The request's multipart body streamed to a temporary file; refused before reading when it says it is too big."""
    declared_length = request.headers.get("content-length", "")
    if declared_length.isdigit() and int(declared_length) > settings.max_upload_bytes + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(
            f"The file exceeds the limit of {settings.max_upload_bytes} bytes.",
            max_upload_bytes=settings.max_upload_bytes,
            reason="too-large",
        )
    return received_upload(
        request.headers.get("content-type", ""), request.stream(), max_bytes=settings.max_upload_bytes
    )


def multipart_body(properties: dict[str, object], required: list[str]) -> dict[str, object]:
    """openapi_extra of an endpoint that reads its multipart body itself (streamed, not parsed by FastAPI)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": {"type": "object", "required": required, "properties": properties}}
            },
        }
    }
