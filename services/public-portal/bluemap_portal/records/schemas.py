"""Public record shapes."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class RecordPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    record_type: str
    year: int
    source_title: str
    issuing_authority: str
    issued_on: date
    source_url: str | None
    summary: str | None
    status: str
    explanation_due_on: date | None
    published_at: datetime


class RecordGroup(BaseModel):
    """One record type's records of an enterprise, newest first."""

    record_type: str
    label_zh: str
    label_en: str
    records: list[RecordPublic]
