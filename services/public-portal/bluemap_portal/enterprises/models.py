"""The portal's copy of the enterprise directory, built from events."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime


class PortalEnterprise(SQLModel, table=True):
    """An enterprise as the public sees it; id is the records service's enterprise id."""

    __tablename__ = "portal_enterprises"
    __table_args__ = (
        Index("ix_portal_enterprises_tenant_uscc", "tenant_id", "uscc"),
        # The home page lists the most recently updated enterprises.
        Index("ix_portal_enterprises_tenant_updated", "tenant_id", "updated_at"),
    )

    id: UUID = Field(primary_key=True)
    tenant_id: str = Field(max_length=64)
    uscc: str = Field(max_length=18)
    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=300)
    region_code: str | None = Field(default=None, max_length=6)
    updated_at: datetime = Field(sa_type=UTCDateTime, description="Time of the event the row was last taken from")
