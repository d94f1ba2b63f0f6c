"""Review decision table: who decided what about which explanation, when and why."""

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
    """A reviewer's approval or rejection of one explanation as one submission sent it."""

    __tablename__ = "explanation_review_decisions"
    __table_args__ = (
        Index("ix_explanation_review_decisions_explanation", "tenant_id", "explanation_id", "reviewed_at"),
        Index("ix_explanation_review_decisions_submission", "tenant_id", "submission_id"),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    submission_id: UUID
    explanation_id: UUID
    record_id: UUID
    enterprise_id: UUID
    explanation_version: int
    decision: str = Field(max_length=10, description="A Decision value")
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reviewed_by: str = Field(max_length=200)
    reviewed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
