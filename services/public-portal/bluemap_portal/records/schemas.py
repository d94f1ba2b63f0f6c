"""Public record shapes."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from bluemap_portal.documents.schemas import DocumentPublic
from bluemap_portal.explanations.schemas import ExplanationPublic


class RecordPublic(BaseModel):
    """A public record, where it stands, and what its enterprise published about it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    enterprise_id: UUID
    record_type: str
    year: int
    source_title: str
    issuing_authority: str
    issued_on: date
    source_url: str | None
    summary: str | None
    status: str = Field(description="The records service's status")
    display_status: str = Field(
        default="",
        description="What the public is shown: awaiting_explanation, overdue (computed in China time), "
        "under_review, explained, resolved, ...",
    )
    explanation_due_on: date | None
    published_at: datetime
    explanations: list[ExplanationPublic] = []
    documents: list[DocumentPublic] = []


class RecordFilter(BaseModel):
    """What a listing of records is narrowed to: a region code prefix, a year, a public status."""

    region: str | None = None
    year: int | None = None
    status: str | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.region, self.year, self.status))


class RecordGroup(BaseModel):
    """One record type's records of an enterprise, newest first."""

    record_type: str
    label_zh: str
    label_en: str
    records: list[RecordPublic]
