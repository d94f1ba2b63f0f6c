"""The portal's copies of published documents and rendered public explanation PDFs, built from events."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime


class PortalDocument(SQLModel, table=True):
    """A document a reviewer published; id is the documents service's document id."""

    __tablename__ = "portal_documents"
    __table_args__ = (
        # The enterprise page: its documents, newest first.
        Index("ix_portal_documents_enterprise", "tenant_id", "enterprise_id", "published_at"),
        # The Enterprise Feedback category: every enterprise's, newest first.
        Index("ix_portal_documents_published", "tenant_id", "published_at", "id"),
        Index("ix_portal_documents_code", "tenant_id", "verification_code"),
        Index("ix_portal_documents_submission", "tenant_id", "submission_id"),
    )

    id: UUID = Field(primary_key=True)
    tenant_id: str = Field(max_length=64)
    enterprise_id: UUID
    kind: str = Field(max_length=64)
    category: str | None = Field(default=None, max_length=64)
    record_ids: list[str] = Field(sa_column=Column(JSON, nullable=False), description="Records it is listed under")
    submission_id: UUID | None = None
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=200)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)
    verification_code: str | None = Field(default=None, max_length=128, description="Lower case")
    published_at: datetime = Field(sa_type=UTCDateTime)


class PortalRenderedPdf(SQLModel, table=True):
    """A rendered public explanation PDF: its number and verification code, for the verify page."""

    __tablename__ = "portal_rendered_pdfs"
    __table_args__ = (
        Index("ix_portal_rendered_pdfs_code", "tenant_id", "verification_code"),
        Index("ix_portal_rendered_pdfs_submission", "tenant_id", "submission_id"),
    )

    id: UUID = Field(primary_key=True)
    tenant_id: str = Field(max_length=64)
    submission_id: UUID
    enterprise_id: UUID
    language: str = Field(max_length=8)
    document_number: str = Field(max_length=64)
    verification_code: str = Field(max_length=128, description="Lower case")
    filename: str = Field(max_length=200)
    rendered_at: datetime = Field(sa_type=UTCDateTime)
