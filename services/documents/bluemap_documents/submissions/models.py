"""Submissions: what ExplanationSubmitted carried, and its PDF's render job (the workflow is explanations')."""

import enum
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow


class RenderState(enum.StrEnum):
    """The render job of a submission's PDF; the submission's workflow is the explanations service's."""

    PENDING = "pending"  # waiting for its PDF
    RENDERED = "rendered"
    FAILED = "failed"  # rendering gave up after render_max_attempts


class ReviewOutcome(enum.StrEnum):
    """What explanations' SubmissionReviewed said of the submission: no more scans once it is set."""

    PUBLISHED = "published"
    RETURNED = "returned"


class Submission(SQLModel, table=True):
    """One Send Public Explanation: its content, its rendered PDF and its verification code."""

    __tablename__ = "submissions"
    __table_args__ = (
        # The public verify page looks documents up by code alone, across tenants.
        Index("uq_submissions_verification_code", "verification_code", unique=True),
        Index("uq_submissions_document_number", "tenant_id", "document_number", unique=True),
        # The render loop: due submissions, oldest first.
        Index("ix_submissions_due", "render_state", "next_render_at"),
        Index("ix_submissions_enterprise", "tenant_id", "enterprise_id", "id"),
    )

    id: UUID = Field(primary_key=True, description="The submission_id of ExplanationSubmitted")
    tenant_id: str = Field(max_length=64)
    enterprise_id: UUID
    enterprise_name: str = Field(max_length=200)
    enterprise_name_en: str | None = Field(default=None, max_length=300)
    language: str = Field(max_length=2)
    record_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source_titles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    event: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False), description="The event's data, to render")
    submitted_by: str = Field(max_length=200)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    render_state: str = Field(default=RenderState.PENDING, max_length=16, description="A RenderState value")
    review_outcome: str | None = Field(
        default=None, max_length=16, description="A ReviewOutcome value, from explanations' SubmissionReviewed"
    )
    document_id: UUID | None = Field(default=None, description="The rendered PDF")
    document_number: str | None = Field(default=None, max_length=100)
    verification_code: str | None = Field(default=None, max_length=64)
    rendered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    render_attempts: int = 0
    next_render_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    traceparent: str | None = Field(default=None, max_length=55, description="The trace the render continues")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
