"""Reviewers' decisions on documents: the history behind each published or rejected one."""

import enum
from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class Decision(enum.StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class ReviewDecision(SQLModel, table=True):
    """One decision on one document; a document is decided once (the unique index settles races)."""

    __tablename__ = "document_reviews"
    __table_args__ = (
        Index("uq_document_reviews_document", "document_id", unique=True),
        Index("ix_document_reviews_enterprise", "tenant_id", "enterprise_id", "id"),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    document_id: UUID = Field(foreign_key="documents.id")
    enterprise_id: UUID | None = None
    submission_id: UUID | None = None
    decision: str = Field(max_length=16, description="A Decision value")
    comment: str | None = Field(default=None, sa_column=Column(Text))
    reviewed_by: str = Field(max_length=200)
    reviewed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
