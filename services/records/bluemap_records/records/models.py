"""Government record tables."""

import enum
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class RecordStatus(enum.StrEnum):
    """Where a record stands in the disclosure lifecycle."""

    AWAITING_EXPLANATION = "awaiting_explanation"
    EXPLANATION_SUBMITTED = "explanation_submitted"
    UNDER_REVIEW = "under_review"
    EXPLAINED = "explained"
    RESOLVED = "resolved"
    RESTORED = "restored"
    PUBLISHED = "published"  # types enterprises are not asked to explain


class Record(SQLModel, table=True):
    """A record an agency published about an enterprise."""

    __tablename__ = "records"
    __table_args__ = (
        # The enterprise page: one enterprise's records of one type, newest first.
        Index("ix_records_enterprise_type", "tenant_id", "enterprise_id", "record_type", "issued_on"),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    enterprise_id: UUID = Field(foreign_key="enterprises.id")
    record_type: str = Field(max_length=64)
    year: int
    source_title: str = Field(max_length=500)
    issuing_authority: str = Field(max_length=200)
    issued_on: date
    source_url: str | None = Field(default=None, max_length=2000)
    summary: str | None = Field(default=None, sa_column=Column(Text))
    external_id: str | None = Field(default=None, max_length=200)
    status: str = Field(max_length=32, description="A RecordStatus value")
    explanation_due_on: date | None = None
    provenance: str = Field(default="api", max_length=32)
    content_sha256: str = Field(max_length=64)
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
