"""Submissions: what ExplanationSubmitted carried, and where its public explanation PDF stands."""

import enum
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow


class SubmissionStatus(enum.StrEnum):
    RECEIVED = "received"  # waiting for its PDF
    RENDERED = "rendered"  # PDF rendered, no scan waiting or accepted
    SIGNED = "signed"  # a signed scan waits for review
    PUBLISHED = "published"  # a reviewer approved the signed scan
    FAILED = "failed"  # rendering gave up after render_max_attempts


class Submission(SQLModel, table=True):
    """One Send Public Explanation: its content, its rendered PDF and its verification code."""

    __tablename__ = "submissions"
    __table_args__ = (
        # The public verify page looks documents up by code alone, across tenants.
        Index("uq_submissions_verification_code", "verification_code", unique=True),
        Index("uq_submissions_document_number", "tenant_id", "document_number", unique=True),
        # The render loop: due submissions, oldest first.
        Index("ix_submissions_due", "status", "next_render_at"),
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
    status: str = Field(default=SubmissionStatus.RECEIVED, max_length=16)
    document_id: UUID | None = Field(default=None, description="The rendered PDF")
    document_number: str | None = Field(default=None, max_length=100)
    verification_code: str | None = Field(default=None, max_length=64)
    rendered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    render_attempts: int = 0
    next_render_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    traceparent: str | None = Field(default=None, max_length=55, description="The trace the render continues")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
