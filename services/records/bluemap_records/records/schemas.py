"""Record API shapes."""

from datetime import date, datetime
from uuid import UUID

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from bluemap_records.record_types import RECORD_TYPES


class RecordBase(BaseModel):
    record_type: str = Field(description="A record type code of the import format (v1)")
    year: int = Field(ge=1990, le=2100)
    source_title: str = Field(min_length=1, max_length=500)
    issuing_authority: str = Field(min_length=1, max_length=200)
    issued_on: date
    source_url: AnyHttpUrl | None = None
    summary: str | None = Field(default=None, max_length=20_000)
    external_id: str | None = Field(default=None, max_length=200)

    @field_validator("record_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in RECORD_TYPES:
            raise ValueError(f"unknown record type {value!r}")
        return value

    @field_validator("source_title", "issuing_authority", "summary", "external_id")
    @classmethod
    def _trim(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None


class RecordCreate(RecordBase):
    enterprise_id: UUID


class RecordPublic(RecordBase):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tenant_id: str
    enterprise_id: UUID
    source_url: str | None = None  # type: ignore[assignment]
    status: str
    explainable: bool
    explanation_due_on: date | None
    published_at: datetime
    updated_at: datetime
