"""Record API shapes."""

from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bluemap_records.record_types import RECORD_TYPES
from bluemap_records.records.content import (
    MAX_EXTERNAL_ID,
    MAX_ISSUING_AUTHORITY,
    MAX_SOURCE_TITLE,
    MAX_SOURCE_URL,
    MAX_SUMMARY,
    MIN_YEAR,
    RecordContent,
    check_source_url,
    check_text,
    check_year,
)
from bluemap_records.records.lifecycle import RecordStatus


def _trimmed(value: Any) -> Any:
    # Before the length constraints; an empty optional text is no text.
    if isinstance(value, str):
        value = value.strip()
    return value


class RecordBase(BaseModel):
    """A record's source content, by the rules of the import format (v1)."""

    record_type: str = Field(description="A record type code of the import format (v1)")
    year: int = Field(ge=MIN_YEAR, description="1990 to next year")
    source_title: str = Field(min_length=1, max_length=MAX_SOURCE_TITLE)
    issuing_authority: str = Field(min_length=1, max_length=MAX_ISSUING_AUTHORITY)
    issued_on: date
    source_url: str | None = Field(default=None, max_length=MAX_SOURCE_URL, json_schema_extra={"format": "uri"})
    summary: str | None = Field(default=None, max_length=MAX_SUMMARY, description="Plain text, never HTML")
    external_id: str | None = Field(
        default=None,
        max_length=MAX_EXTERNAL_ID,
        description="The source system's own id: the record's identity within its issuing authority",
    )

    _trim = field_validator("source_title", "issuing_authority", "summary", "external_id", "source_url", mode="before")(
        _trimmed
    )

    @field_validator("record_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in RECORD_TYPES:
            raise ValueError(f"unknown record type {value!r}")
        return value

    @field_validator("year")
    @classmethod
    def _year(cls, value: int) -> int:
        return check_year(value)

    @field_validator("source_title", "issuing_authority", "summary", "external_id")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        if not value:
            return None
        return check_text(value, max_length=MAX_SUMMARY)

    @field_validator("source_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return check_source_url(value) if value else None

    def content(self) -> RecordContent:
        # Required, and min_length refused them empty.
        assert self.source_title
        assert self.issuing_authority
        return RecordContent(
            record_type=self.record_type,
            year=self.year,
            source_title=self.source_title,
            issuing_authority=self.issuing_authority,
            issued_on=self.issued_on,
            source_url=self.source_url,
            summary=self.summary,
            external_id=self.external_id,
        )


class RecordCreate(RecordBase):
    enterprise_id: UUID


class RecordRevise(BaseModel):
    """A correction of a record's source content: only the fields sent change; null clears an optional one."""

    model_config = ConfigDict(extra="forbid")

    record_type: str | None = None
    year: int | None = None
    source_title: str | None = None
    issuing_authority: str | None = None
    issued_on: date | None = None
    source_url: str | None = None
    summary: str | None = None
    external_id: str | None = None

    def apply(self, content: RecordContent) -> RecordContent:
        """The content with this correction, checked by the rules of RecordBase; ValueError if it breaks one."""
        changed = {**asdict(content), **self.model_dump(exclude_unset=True)}
        try:
            return RecordBase.model_validate(changed).content()
        except ValidationError as exc:
            raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc


class Provenance(BaseModel):
    """How the record's current content arrived."""

    source: str = Field(description="api, import or demo")
    import_id: UUID | None = Field(default=None, description="The import that brought it, if one did")
    received_at: datetime
    content_sha256: str


class RecordPublic(BaseModel):
    id: UUID
    tenant_id: str
    enterprise_id: UUID
    record_type: str
    record_type_label_en: str
    record_type_label_zh: str
    explainable: bool
    year: int
    source_title: str
    issuing_authority: str
    issued_on: date
    source_url: str | None
    summary: str | None
    external_id: str | None
    status: RecordStatus
    explanation_due_on: date | None = Field(
        description="10 official working days after publication (explainable types)"
    )
    revision: int
    provenance: Provenance
    published_at: datetime
    updated_at: datetime
    retracted_at: datetime | None = None
    retraction_reason: str | None = None


class StatusChangeRequest(BaseModel):
    """An operator's decision after an audit (resolve, restore): the public and the enterprise are told why."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="Why, as the audit found it (shown in public)")

    _trim = field_validator("reason", mode="before")(_trimmed)


class RetractionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="Why the record is withdrawn")

    _trim = field_validator("reason", mode="before")(_trimmed)


class StatusChangePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    previous_status: str | None
    status: str
    trigger: str
    reason: str | None
    cause_event_id: UUID | None
    actor: str | None
    changed_at: datetime


class RevisionPublic(BaseModel):
    """The content a record had before a change replaced it."""

    model_config = ConfigDict(from_attributes=True)

    revision: int
    record_type: str
    year: int
    source_title: str
    issuing_authority: str
    issued_on: date
    source_url: str | None
    summary: str | None
    external_id: str | None
    content_sha256: str
    provenance: str
    import_id: UUID | None
    received_at: datetime
    superseded_at: datetime
