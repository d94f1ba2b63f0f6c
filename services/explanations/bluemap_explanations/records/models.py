"""Read model of the records and enterprises published by the records service."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime


class ExplainableRecord(SQLModel, table=True):
    """A record as RecordPublished announced it; rows of every type, so a save can tell which to refuse."""

    __tablename__ = "explainable_records"
    __table_args__ = (
        # The workspace: one enterprise's explainable records of one type.
        Index("ix_explainable_records_enterprise", "tenant_id", "enterprise_id", "explainable", "record_type"),
    )

    record_id: UUID = Field(primary_key=True)
    tenant_id: str = Field(max_length=64)
    enterprise_id: UUID
    enterprise_name: str = Field(max_length=200)
    record_type: str = Field(max_length=64)
    explainable: bool
    year: int
    source_title: str = Field(max_length=500)
    issuing_authority: str = Field(max_length=200)
    issued_on: date
    explanation_due_on: date | None = None
    published_at: datetime = Field(sa_type=UTCDateTime)
    revision: int = Field(default=1, description="The records service's content revision; newer wins")
    retracted_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="Withdrawn by the operator: no longer explained"
    )
    record_status: str | None = Field(
        default=None, max_length=32, description="The records service's lifecycle status (RecordStatusChanged)"
    )
    status_reason: str | None = Field(default=None, max_length=2000, description="Why the status last changed")
    status_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class KnownEnterprise(SQLModel, table=True):
    """An enterprise as the records service last described it: what a sent explanation names."""

    __tablename__ = "explanation_enterprises"

    enterprise_id: UUID = Field(primary_key=True)
    tenant_id: str = Field(max_length=64)
    uscc: str = Field(max_length=18)
    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=300)
    region_code: str | None = Field(default=None, max_length=6)
    registered_emails: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    described_at: datetime = Field(
        sa_type=UTCDateTime, description="When the event carrying this description was emitted; newer wins"
    )
