"""Import tables: each import's outcome and the rows it rejected."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import BigIntPK, UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class RecordImport(SQLModel, table=True):
    """One bulk import of records into a tenant, with its counts as they stand."""

    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_tenant_started", "tenant_id", "started_at"),)

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    created_by: str = Field(max_length=200)
    filename: str | None = Field(default=None, max_length=255)
    format: str = Field(max_length=10)
    encoding: str = Field(max_length=20)
    size_bytes: int = Field(sa_type=BigInteger)
    status: str = Field(default="running", max_length=20, description="running, completed, failed, interrupted")
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    header: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    ignored_columns: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    failure: str | None = Field(default=None, sa_column=Column(Text))
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    heartbeat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ImportRejection(SQLModel, table=True):
    """A row an import rejected: where it was, why, and what it said."""

    __tablename__ = "import_rejections"
    __table_args__ = (Index("ix_import_rejections_import_line", "import_id", "line"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    tenant_id: str = Field(max_length=64)
    import_id: UUID = Field(foreign_key="imports.id")
    line: int
    problems: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    raw: list[str] = Field(sa_column=Column(JSON, nullable=False))
