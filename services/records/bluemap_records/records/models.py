"""Government record tables: records, their content revisions and their status history."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bluemap_records.records.lifecycle import RecordStatus
from bluemap_shared.db import BigIntPK, UTCDateTime, utcnow
from bluemap_shared.ids import uuid7

__all__ = ["Record", "RecordRevision", "RecordStatus", "RecordStatusChange"]

_COMMON_STATUSES = f"'{RecordStatus.AWAITING_EXPLANATION}', '{RecordStatus.PUBLISHED}'"


class Record(SQLModel, table=True):
    """A record an agency published about an enterprise."""

    __tablename__ = "records"
    __table_args__ = (
        # The enterprise page: one enterprise's records of one type, newest first, keyset-paginated.
        Index("ix_records_enterprise_page", "tenant_id", "enterprise_id", "record_type", "issued_on", "id"),
        # Tenant-wide lists newest first, and issue-date ranges.
        Index("ix_records_tenant_issued", "tenant_id", "issued_on", "id"),
        # Work queues by status (submitted, under review, ...). Most records wait for an explanation
        # or need none; leaving those out keeps the index small and bulk imports from touching it.
        Index(
            "ix_records_tenant_status",
            "tenant_id",
            "status",
            "issued_on",
            "id",
            postgresql_where=text(f"status NOT IN ({_COMMON_STATUSES})"),
            sqlite_where=text(f"status NOT IN ({_COMMON_STATUSES})"),
        ),
        # Identity (import format v1): the source system's id within its issuing authority ...
        Index(
            "uq_records_external_id",
            "tenant_id",
            "issuing_authority",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
            sqlite_where=text("external_id IS NOT NULL"),
        ),
        # ... and without one, what the record says about whom.
        Index(
            "uq_records_natural_key",
            "tenant_id",
            "enterprise_id",
            "record_type",
            "issuing_authority",
            "issued_on",
            "source_title",
            unique=True,
            postgresql_where=text("external_id IS NULL"),
            sqlite_where=text("external_id IS NULL"),
        ),
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
    revision: int = 1
    provenance: str = Field(default="api", max_length=32, description="How the content arrived: api, import, demo")
    import_id: UUID | None = Field(default=None, description="The import that brought the current content")
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    content_sha256: str = Field(max_length=64)
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_by: str | None = Field(default=None, max_length=200, description="Who published it: a user or an import")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    retracted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retraction_reason: str | None = Field(default=None, sa_column=Column(Text))


class RecordRevision(SQLModel, table=True):
    """A record's content as it was before a change replaced it."""

    __tablename__ = "record_revisions"
    __table_args__ = (UniqueConstraint("record_id", "revision", name="uq_record_revisions_record_revision"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    tenant_id: str = Field(max_length=64)
    record_id: UUID = Field(foreign_key="records.id")
    revision: int
    record_type: str = Field(max_length=64)
    year: int
    source_title: str = Field(max_length=500)
    issuing_authority: str = Field(max_length=200)
    issued_on: date
    source_url: str | None = Field(default=None, max_length=2000)
    summary: str | None = Field(default=None, sa_column=Column(Text))
    external_id: str | None = Field(default=None, max_length=200)
    content_sha256: str = Field(max_length=64)
    provenance: str = Field(max_length=32)
    import_id: UUID | None = None
    received_at: datetime = Field(sa_type=UTCDateTime)
    superseded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RecordStatusChange(SQLModel, table=True):
    """One step of a record's lifecycle after its publication (which the record itself keeps)."""

    __tablename__ = "record_status_history"
    __table_args__ = (Index("ix_record_status_history_record", "record_id", "id"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    tenant_id: str = Field(max_length=64)
    record_id: UUID = Field(foreign_key="records.id")
    previous_status: str | None = Field(default=None, max_length=32)
    status: str = Field(max_length=32)
    trigger: str = Field(max_length=40, description="published, a Trigger value, or what else moved it")
    reason: str | None = Field(default=None, sa_column=Column(Text))
    cause_event_id: UUID | None = None
    actor: str | None = Field(default=None, max_length=200)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
