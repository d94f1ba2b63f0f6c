"""The tenant registry: who runs a site on the platform, under which names, hosts, sender and brand."""

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow


class Tenant(SQLModel, table=True):
    """One operator's site (a tenant); records owns it, every other service keeps a copy of its settings."""

    __tablename__ = "tenants"

    id: str = Field(primary_key=True, max_length=64)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    hostnames: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    default_language: str = Field(default="zh", max_length=10)
    mail_sender_name: str = Field(max_length=200)
    mail_sender_address: str = Field(max_length=320)
    staff_email: str | None = Field(default=None, max_length=320)
    logo_url: str | None = Field(default=None, max_length=2000)
    brand_colour: str = Field(default="#0b5cab", max_length=7)
    status: str = Field(default="active", max_length=20)
    suspended_reason: str | None = Field(default=None, max_length=2000)
    # Grows with each change; the events carry it so no copy ever goes back to an older state.
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
