"""Read model of the enterprises and records other services announced, for ownership checks and labels."""

from datetime import date
from uuid import UUID

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class KnownEnterprise(SQLModel, table=True):
    """An enterprise as the latest snapshot in an event described it."""

    __tablename__ = "known_enterprises"

    enterprise_id: UUID = Field(primary_key=True)
    tenant_id: str = Field(max_length=64)
    uscc: str = Field(max_length=32)
    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=300)


class KnownRecord(SQLModel, table=True):
    """A record RecordPublished announced: supporting documents may name only their enterprise's records."""

    __tablename__ = "known_records"
    __table_args__ = (Index("ix_known_records_enterprise", "tenant_id", "enterprise_id"),)

    record_id: UUID = Field(primary_key=True)
    tenant_id: str = Field(max_length=64)
    enterprise_id: UUID
    record_type: str = Field(max_length=64)
    year: int
    source_title: str = Field(max_length=500)
    issuing_authority: str = Field(max_length=200)
    issued_on: date
    retracted: bool = False
