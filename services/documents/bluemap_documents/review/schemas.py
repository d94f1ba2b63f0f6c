"""Review API shapes."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bluemap_shared.events.catalog import ScanWarning

Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]


class DecisionCreate(BaseModel):
    """A reviewer's comment: optional to approve, required to reject."""

    model_config = ConfigDict(extra="forbid")

    comment: Comment | None = None


class DecisionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    document_id: UUID
    enterprise_id: UUID | None
    submission_id: UUID | None
    decision: str
    comment: str | None
    reviewed_by: str
    reviewed_at: datetime


class ReviewItemPublic(BaseModel):
    """A document as a reviewer sees it in the queue, with links to look at it without a token."""

    id: UUID
    enterprise_id: UUID | None
    enterprise_name: str | None
    kind: str
    category: str | None
    category_label_zh: str | None
    category_label_en: str | None
    record_ids: list[UUID]
    submission_id: UUID | None
    document_number: str | None
    filename: str
    content_type: str
    size: int
    pages: int | None
    scan_warnings: list[ScanWarning] = Field(
        default_factory=list, description="Signed scans: soft checks failed against the rendered PDF; look closer"
    )
    sha256: str
    uploaded_by: str
    created_at: datetime
    status: str
    preview_url: str
    download_url: str
    rendered_preview_url: str | None
    decision: DecisionPublic | None
