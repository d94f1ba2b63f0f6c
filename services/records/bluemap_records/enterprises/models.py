"""Enterprise directory tables."""

import enum
from datetime import datetime
from uuid import UUID

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class Enterprise(SQLModel, table=True):
    """An enterprise in one tenant's directory, identified by its USCC."""

    __tablename__ = "enterprises"
    __table_args__ = (
        UniqueConstraint("tenant_id", "uscc", name="uq_enterprises_tenant_uscc"),
        # The directory in pages (keyset on id).
        Index("ix_enterprises_tenant_page", "tenant_id", "id"),
        # Search by a substring of the name (LIKE '%...%') that stays fast at a million enterprises:
        # the name's character pairs in a GIN index, so that two-character words (永安), which hold
        # no trigram, are looked up too. The function is migration 0005's; PostgreSQL only, SQLite scans.
        Index("ix_enterprises_name_bigrams", text("bluemap_name_bigrams(name)"), postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
        # A word of one character has no pair: its names are looked up by their characters (migration 0006).
        Index("ix_enterprises_name_chars", text("string_to_array(name, NULL)"), postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    uscc: str = Field(max_length=18)
    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=300)
    region_code: str | None = Field(default=None, max_length=6)
    industry: str | None = Field(default=None, max_length=200)
    registered_emails: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="active", max_length=20, description="active, suspended or closed")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class EmailChangeStatus(enum.StrEnum):
    """Where a change of a registered email stands (expiry is read from expires_at)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    SUPERSEDED = "superseded"


class EnterpriseEmailChange(SQLModel, table=True):
    """A change of a registered email that enterprise staff asked for, waiting for the new mailbox to confirm it."""

    __tablename__ = "enterprise_email_changes"
    __table_args__ = (
        # The confirmation link finds its change by the token's hash; the token itself is never stored.
        UniqueConstraint("token_sha256", name="uq_enterprise_email_changes_token"),
        Index("ix_enterprise_email_changes_enterprise", "tenant_id", "enterprise_id", "requested_at"),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    enterprise_id: UUID = Field(foreign_key="enterprises.id")
    new_email: str = Field(max_length=320)
    replaces_email: str | None = Field(default=None, max_length=320)
    token_sha256: str = Field(max_length=64, description="Hex SHA-256 of the link's token")
    requested_by: str = Field(max_length=200)
    locale: str = Field(default="zh", max_length=10)
    status: str = Field(default=EmailChangeStatus.PENDING, max_length=20, description="pending, confirmed, superseded")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
