"""Document tables."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class Document(SQLModel, table=True):
    """A stored file: metadata here, bytes in object storage under a content-addressed key."""

    __tablename__ = "documents"
    __table_args__ = (
        # The enterprise's documents, newest first (uuid7 ids are time-ordered).
        Index("ix_documents_enterprise", "tenant_id", "enterprise_id", "id"),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    enterprise_id: UUID | None = Field(default=None, description="None for documents no enterprise owns")
    kind: str = Field(max_length=64, description="What the document is for, e.g. supporting, signed-explanation")
    filename: str = Field(max_length=200, description="The client's name, sanitised")
    content_type: str = Field(max_length=200, description="Sniffed from the bytes, not taken from the client")
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=200)
    uploaded_by: str = Field(max_length=200, description="Subject of the principal who uploaded it")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
