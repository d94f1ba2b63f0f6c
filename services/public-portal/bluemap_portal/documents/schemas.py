"""Public document and verification shapes."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class DocumentPublic(BaseModel):
    """A published document and where the public downloads it."""

    id: UUID
    kind: str
    category: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    record_ids: list[UUID]
    submission_id: UUID | None
    verification_code: str | None
    document_number: str | None
    published_at: datetime
    download_url: str
    preview_url: str | None = Field(default=None, description="Opens a PDF in the browser instead of saving it")


class VerificationResult(BaseModel):
    """What a verification code matches: a rendered public explanation or a published document."""

    code: str
    kind: Literal["public_explanation", "document"]
    status: Literal["published", "awaiting_signed_copy"]
    document_number: str | None
    filename: str
    enterprise_id: UUID
    enterprise_name: str | None
    enterprise_name_en: str | None
    issued_at: datetime
    published_at: datetime | None
    document: DocumentPublic | None
