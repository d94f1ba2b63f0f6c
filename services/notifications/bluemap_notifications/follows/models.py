"""The follows table: who follows which enterprise, and where to email them."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class Follow(SQLModel, table=True):
    """A user of a tenant following one enterprise; emailed at the address their token carried."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("tenant_id", "subject", "enterprise_id", name="uq_follows_tenant_subject_enterprise"),
        # The handlers' question: who follows this enterprise?
        Index("ix_follows_tenant_enterprise", "tenant_id", "enterprise_id"),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    subject: str = Field(max_length=200, description="The follower's token subject")
    email: str = Field(max_length=320, description="The follower's address, from the token's email claim")
    enterprise_id: UUID
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
