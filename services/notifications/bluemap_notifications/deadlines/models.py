"""Deadline tables: the records that may need an explanation, and the reminders about them."""

import enum
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class TrackedRecord(SQLModel, table=True):
    """A published record as far as deadlines care: what it is, when it is due, where it stands."""

    __tablename__ = "tracked_records"

    tenant_id: str = Field(primary_key=True, max_length=64)
    record_id: UUID = Field(primary_key=True)
    enterprise_id: UUID
    record_type: str = Field(max_length=64)
    year: int
    source_title: str = Field(max_length=500)
    issuing_authority: str = Field(max_length=200)
    issued_on: date
    explainable: bool
    explanation_due_on: date | None = None
    status: str = Field(max_length=32, description="The records service's RecordStatus value")
    status_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revision: int = Field(default=0, description="Content revision; RecordUpdated only ever moves it forward")
    retracted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReminderStatus(enum.StrEnum):
    """What became of a reminder."""

    SCHEDULED = "scheduled"
    QUEUED = "queued"  # its email is in the emails table, which delivers it
    CANCELLED = "cancelled"  # the record moved on, was retracted or got another deadline
    EXPIRED = "expired"  # the deadline passed before the reminder could go out
    SKIPPED = "skipped"  # the enterprise has no registered address


class DeadlineReminder(SQLModel, table=True):
    """One reminder about one record's deadline, sent at most once."""

    __tablename__ = "deadline_reminders"
    __table_args__ = (
        # One reminder of each kind per deadline; a new deadline (RecordUpdated) gets its own.
        UniqueConstraint("tenant_id", "record_id", "kind", "due_on", name="uq_deadline_reminders_deadline"),
        # The scheduler's claim query reads only scheduled rows, earliest first.
        Index(
            "ix_deadline_reminders_due",
            "remind_on",
            "id",
            postgresql_where=text("status = 'scheduled'"),
            sqlite_where=text("status = 'scheduled'"),
        ),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    record_id: UUID
    enterprise_id: UUID
    kind: str = Field(max_length=16, description="A ReminderKind value")
    due_on: date
    remind_on: date
    status: str = Field(default=ReminderStatus.SCHEDULED, max_length=16, description="A ReminderStatus value")
    email_id: UUID | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
