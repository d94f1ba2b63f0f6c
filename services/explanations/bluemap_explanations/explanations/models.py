"""Public explanation tables."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bluemap_explanations.explanations.rules import ExplanationStatus
from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7

__all__ = ["Explanation", "ExplanationStatus", "KnownDocument"]


class Explanation(SQLModel, table=True):
    """An enterprise's explanation of one record: the violation, its reasons, the corrective actions."""

    __tablename__ = "explanations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "record_id", name="uq_explanations_tenant_record"),
        # The signed scan of a submission moves its explanations under review in one statement.
        Index("ix_explanations_submission", "tenant_id", "submission_id"),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    record_id: UUID
    enterprise_id: UUID
    violation: str = Field(sa_column=Column(Text, nullable=False))
    reasons: str = Field(sa_column=Column(Text, nullable=False))
    corrective_actions: str = Field(sa_column=Column(Text, nullable=False))
    monitoring: dict[str, Any] | None = Field(
        default=None,
        sa_column=Column(JSON(none_as_null=True), nullable=True),
        description="Automated-monitoring records: pollutant, measured value, limit, unit, period",
    )
    document_id: UUID | None = Field(default=None, description="A PDF of the documents service the draft refers to")
    status: str = Field(default=ExplanationStatus.DRAFT, max_length=20, description="An ExplanationStatus value")
    submission_id: UUID | None = Field(default=None, description="The submission that last sent it")
    version: int = 1
    saved_by: str = Field(max_length=200, description="Subject of the principal who saved this version")
    saved_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class KnownDocument(SQLModel, table=True):
    """A document as DocumentStored announced it: whose it is, so an explanation names only its enterprise's."""

    __tablename__ = "explanation_documents"

    tenant_id: str = Field(primary_key=True, max_length=64)
    document_id: UUID = Field(primary_key=True)
    enterprise_id: UUID | None = Field(default=None, description="None for documents of no enterprise")
