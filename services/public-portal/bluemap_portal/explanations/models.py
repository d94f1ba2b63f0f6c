"""The portal's copy of published explanations, built from ExplanationPublished."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime


class PortalExplanation(SQLModel, table=True):
    """A public explanation of one record; id is the explanations service's explanation id."""

    __tablename__ = "portal_explanations"
    __table_args__ = (
        # The enterprise page: its explanations, newest first.
        Index("ix_portal_explanations_enterprise", "tenant_id", "enterprise_id", "published_at"),
        # The Enterprise Feedback category: every enterprise's, newest first.
        Index("ix_portal_explanations_published", "tenant_id", "published_at", "id"),
    )

    id: UUID = Field(primary_key=True)
    tenant_id: str = Field(max_length=64)
    record_id: UUID
    enterprise_id: UUID
    submission_id: UUID
    violation: str = Field(sa_column=Column(Text, nullable=False))
    reasons: str = Field(sa_column=Column(Text, nullable=False))
    corrective_actions: str = Field(sa_column=Column(Text, nullable=False))
    monitoring: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    published_at: datetime = Field(sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="When the enterprise sent it for review; None before v1.1"
    )
