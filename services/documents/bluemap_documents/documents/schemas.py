"""Document API shapes."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bluemap_shared.events.catalog import ScanWarning

KIND_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Kind = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=KIND_PATTERN)]


class DocumentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tenant_id: str
    enterprise_id: UUID | None
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    created_at: datetime
    status: str
    category: str | None
    record_ids: list[UUID]
    submission_id: UUID | None
    pages: int | None
    scan_warnings: list[ScanWarning] | None = Field(
        default=None, description="Signed scans: soft checks failed against the rendered PDF, for the reviewer"
    )


class CategoryPublic(BaseModel):
    code: str
    group: str
    group_label_zh: str
    group_label_en: str
    label_zh: str
    label_en: str
