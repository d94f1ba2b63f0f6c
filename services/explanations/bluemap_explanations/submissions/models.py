"""Submission tables: what an enterprise sent together, and where its documents stand."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from bluemap_explanations.submissions.rules import ItemOutcome, SubmissionStatus
from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class Submission(SQLModel, table=True):
    """One Send Public Explanation: its explanations go into one PDF, signed, uploaded and reviewed."""

    __tablename__ = "explanation_submissions"
    __table_args__ = (
        # The review queue, oldest first, by status; and the enterprise's own list.
        Index("ix_explanation_submissions_queue", "tenant_id", "status", "id"),
        Index("ix_explanation_submissions_enterprise", "tenant_id", "enterprise_id", "id"),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    enterprise_id: UUID
    status: str = Field(default=SubmissionStatus.SENT, max_length=20, description="A SubmissionStatus value")
    language: str = Field(max_length=2)
    enterprise: dict[str, Any] = Field(
        sa_column=Column(JSON, nullable=False), description="The EnterpriseSnapshot sent"
    )
    accuracy_acceptance_id: UUID
    deadline_acceptance_id: UUID
    submitted_by: str = Field(max_length=200)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    rendered_document_id: UUID | None = None
    document_number: str | None = Field(default=None, max_length=100)
    verification_code: str | None = Field(default=None, max_length=64)
    rendered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signed_document_id: UUID | None = None
    signed_filename: str | None = Field(default=None, max_length=255)
    signed_pages: int | None = None
    signed_by: str | None = Field(default=None, max_length=200)
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by: str | None = Field(default=None, max_length=200)
    scan_decision: str | None = Field(default=None, max_length=10, description="A Verdict value")
    scan_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    review_comment: str | None = Field(
        default=None, sa_column=Column(Text, nullable=True), description="To the enterprise, about the whole submission"
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SubmissionItem(SQLModel, table=True):
    """One explanation of a submission, exactly as sent, and what review made of it."""

    __tablename__ = "explanation_submission_items"
    __table_args__ = (Index("ix_explanation_submission_items_explanation", "tenant_id", "explanation_id"),)

    submission_id: UUID = Field(primary_key=True)
    explanation_id: UUID = Field(primary_key=True)
    tenant_id: str = Field(max_length=64)
    record_id: UUID
    position: int = Field(description="Order in the submission (and its PDF)")
    explanation_version: int
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False), description="The SubmittedExplanation sent")
    document_id: UUID | None = None
    outcome: str = Field(default=ItemOutcome.PENDING, max_length=20, description="An ItemOutcome value")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
