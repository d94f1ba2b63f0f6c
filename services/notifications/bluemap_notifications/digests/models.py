"""Digest tables: an open window per recipient, and the new records waiting in it."""

import enum
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7

# The window key of records published one by one: a real value, because NULLs never conflict in a unique index.
PUBLISHED_ALONE = UUID(int=0)


class Audience(enum.StrEnum):
    """Who a digest is for; recipient_id is an enterprise id or a follow id."""

    ENTERPRISE = "enterprise"
    FOLLOWER = "follower"


class RecordDigest(SQLModel, table=True):
    """One recipient's window of new records: open while items arrive, closed once its email is queued."""

    __tablename__ = "record_digests"
    __table_args__ = (
        # At most one open window per recipient and import: the handlers' upsert joins it.
        Index(
            "uq_record_digests_open",
            "tenant_id",
            "audience",
            "recipient_id",
            "import_id",
            unique=True,
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
        # The closer's question: which open windows went quiet?
        Index(
            "ix_record_digests_open_quiet",
            "last_item_at",
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    audience: str = Field(max_length=16, description="An Audience value")
    recipient_id: UUID
    import_id: UUID = Field(description="The import of its records, PUBLISHED_ALONE for records published one by one")
    enterprise_id: UUID
    enterprise_name: str | None = Field(default=None, max_length=500)
    enterprise_name_en: str | None = Field(default=None, max_length=500)
    recipients: list[str] = Field(sa_column=Column(JSON, nullable=False))
    opened_by_event_id: UUID = Field(description="The event of its first record: the cause of its email")
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_item_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    email_id: UUID | None = None


class DigestItem(SQLModel, table=True):
    """A new record for one recipient; claimed by the digest that emails it (digest_id)."""

    __tablename__ = "record_digest_items"
    __table_args__ = (
        # A record reaches each recipient once, whatever event id or window it arrives in again.
        UniqueConstraint("tenant_id", "audience", "recipient_id", "record_id", name="uq_record_digest_items_record"),
        # The closer claims a window's unclaimed items.
        Index(
            "ix_record_digest_items_unclaimed",
            "tenant_id",
            "audience",
            "recipient_id",
            "import_id",
            postgresql_where=text("digest_id IS NULL"),
            sqlite_where=text("digest_id IS NULL"),
        ),
        Index("ix_record_digest_items_digest", "digest_id"),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    audience: str = Field(max_length=16)
    recipient_id: UUID
    import_id: UUID
    record_id: UUID
    cause_event_id: UUID
    digest_id: UUID | None = None
    record_type: str = Field(max_length=64)
    explainable: bool
    year: int
    source_title: str = Field(max_length=500)
    issuing_authority: str = Field(max_length=200)
    issued_on: date
    source_url: str | None = Field(default=None, max_length=2000)
    explanation_due_on: date | None = None
