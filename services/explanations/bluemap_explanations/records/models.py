"""Read model of the records published by the records service."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Index
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
