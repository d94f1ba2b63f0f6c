"""Public explanation tables."""

import enum
from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class ExplanationStatus(enum.StrEnum):
    """Where an explanation stands; only drafts may be edited."""

    DRAFT = "draft"


class Explanation(SQLModel, table=True):
    """An enterprise's explanation of one record: the violation, its reasons, the corrective actions."""

    __tablename__ = "explanations"
    __table_args__ = (UniqueConstraint("tenant_id", "record_id", name="uq_explanations_tenant_record"),)

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    record_id: UUID
    enterprise_id: UUID
    violation: str = Field(sa_column=Column(Text, nullable=False))
    reasons: str = Field(sa_column=Column(Text, nullable=False))
    corrective_actions: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=ExplanationStatus.DRAFT, max_length=20, description="An ExplanationStatus value")
    version: int = 1
    saved_by: str = Field(max_length=200, description="Subject of the principal who saved this version")
    saved_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
