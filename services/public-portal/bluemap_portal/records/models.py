"""The portal's copy of published records, built from events."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime


class PortalRecord(SQLModel, table=True):
    """A public record; id is the records service's record id."""

    __tablename__ = "portal_records"
    __table_args__ = (
        # The enterprise page: one enterprise's records by type, newest first.
        Index("ix_portal_records_enterprise_type", "tenant_id", "enterprise_id", "record_type", "issued_on"),
        # A category page: one type's records across enterprises, newest first.
        Index("ix_portal_records_tenant_type_issued", "tenant_id", "record_type", "issued_on", "id"),
    )

    id: UUID = Field(primary_key=True)
    tenant_id: str = Field(max_length=64)
    # No foreign key: a record may arrive before its enterprise's own event.
    enterprise_id: UUID
    record_type: str = Field(max_length=64)
    year: int
    source_title: str = Field(max_length=500)
    issuing_authority: str = Field(max_length=200)
    issued_on: date
    source_url: str | None = Field(default=None, max_length=2000)
    summary: str | None = Field(default=None, sa_column=Column(Text))
    status: str = Field(max_length=32, description="The records service's RecordStatus value")
    explanation_due_on: date | None = None
    published_at: datetime = Field(sa_type=UTCDateTime)
    revision: int = Field(
        default=0, sa_column_kwargs={"server_default": "0"}, description="Content revision (RecordUpdated)"
    )
    status_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status_reason: str | None = Field(
        default=None, max_length=2000, description="Why the operator last moved it (resolve, restore), shown in public"
    )
    retracted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, description="Set: hidden from the public")
