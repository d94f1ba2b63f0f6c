"""Submission API shapes."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field


class SubmissionPublic(BaseModel):
    """A Send as this service knows it: where its PDF stands, and a link to download it."""

    id: UUID
    enterprise_id: UUID
    language: str
    status: str = Field(description="The PDF's render job (pending, rendered, failed), or the review's outcome")
    record_ids: list[UUID]
    submitted_at: datetime
    document_number: str | None
    verification_code: str | None
    rendered_document_id: UUID | None
    rendered_at: datetime | None
    download_url: str | None
    download_expires_at: datetime | None


class VerificationPublic(BaseModel):
    """What the public may learn from a verification code: that the document is genuine, and its state."""

    verification_code: str
    valid: bool
    document_number: str
    enterprise_name: str
    enterprise_name_en: str | None
    language: str
    date: date
    status: str = Field(description="rendered, signed (a scan waits for review), published or returned")
