"""Email tables: each row is one message and its delivery state."""

import enum
from datetime import datetime
from uuid import UUID

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class EmailStatus(enum.StrEnum):
    """Where an email stands in delivery."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Email(SQLModel, table=True):
    """An email to send, sent or given up on; written by event handlers, sent by the dispatcher."""

    __tablename__ = "emails"
    __table_args__ = (
        # Besides the inbox: one email per purpose and cause, even if the same fact arrives
        # under another event id (a replay, a second consumer instance).
        UniqueConstraint("tenant_id", "purpose", "cause_event_id", name="uq_emails_tenant_purpose_cause"),
        # The dispatcher's claim query reads only pending rows, oldest due first.
        Index(
            "ix_emails_due",
            "next_attempt_at",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # The operators' list: one tenant's emails, newest first.
        Index("ix_emails_tenant_id", "tenant_id", "id"),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    purpose: str = Field(max_length=64)
    cause_event_id: UUID = Field(
        description="The event, or for some purposes the fact (a submission, a reminder), it answers"
    )
    # Emails to an enterprise whose addresses were not known yet are addressed when sent.
    enterprise_id: UUID | None = None
    recipients: list[str] = Field(sa_column=Column(JSON, nullable=False))
    subject: str = Field(max_length=500)
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str | None = Field(default=None, sa_column=Column(Text))
    status: str = Field(default=EmailStatus.PENDING, max_length=16, description="An EmailStatus value")
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    message_id: str = Field(max_length=200, description="RFC 5322 Message-ID, the same on every attempt")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    traceparent: str | None = Field(default=None, max_length=55, description="The trace the dispatcher continues")


class EmailAttachment(SQLModel, table=True):
    """A file an email carries; the bytes are fetched from source_url when the email is sent, never stored."""

    __tablename__ = "email_attachments"

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    email_id: UUID = Field(foreign_key="emails.id", index=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64, description="Hex digest the downloaded bytes must have")
    # A capability URL: it is forgotten once the email is sent or given up on.
    source_url: str | None = Field(default=None, sa_column=Column(Text))
    source_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
