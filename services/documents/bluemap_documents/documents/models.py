"""Document tables."""

import enum
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, BigInteger, Column, Index, text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class DocumentKind(enum.StrEnum):
    """Kinds this service gives a meaning to; other slugs are plain stored files."""

    PUBLIC_EXPLANATION = "public-explanation"  # the PDF rendered from a submission
    SIGNED_EXPLANATION = "signed-explanation"  # the enterprise's signed or sealed scan of it
    SUPPORTING = "supporting"  # evidence of corrective actions, in a category


class DocumentStatus(enum.StrEnum):
    """Where a document stands; only pending ones wait for a reviewer."""

    STORED = "stored"  # a plain file, never reviewed
    RENDERED = "rendered"  # a rendered public explanation
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a pending scan replaced by a newer upload before review


REVIEWED_KINDS = (DocumentKind.SIGNED_EXPLANATION, DocumentKind.SUPPORTING)


class Document(SQLModel, table=True):
    """A stored file: metadata here, bytes in object storage under a content-addressed key."""

    __tablename__ = "documents"
    __table_args__ = (
        # The enterprise's documents, newest first (uuid7 ids are time-ordered).
        Index("ix_documents_enterprise", "tenant_id", "enterprise_id", "id"),
        # The review queue: a tenant's documents of one status, oldest first.
        Index("ix_documents_review", "tenant_id", "status", "id"),
        # One rendered public explanation per submission, whoever renders it and however often.
        Index(
            "uq_documents_rendered_submission",
            "tenant_id",
            "submission_id",
            "kind",
            unique=True,
            postgresql_where=text("kind = 'public-explanation'"),
            sqlite_where=text("kind = 'public-explanation'"),
        ),
        # At most one scan of a submission waits for review; a new upload supersedes it.
        Index(
            "uq_documents_pending_scan",
            "tenant_id",
            "submission_id",
            unique=True,
            postgresql_where=text("kind = 'signed-explanation' AND status = 'pending'"),
            sqlite_where=text("kind = 'signed-explanation' AND status = 'pending'"),
        ),
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
    status: str = Field(
        default=DocumentStatus.STORED,
        max_length=16,
        sa_column_kwargs={"server_default": DocumentStatus.STORED.value},
        description="A DocumentStatus value",
    )
    category: str | None = Field(default=None, max_length=64, description="Supporting documents: a catalogue code")
    record_ids: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default=text("'[]'")),
        description="Records the document concerns, as strings",
    )
    submission_id: UUID | None = Field(default=None, description="Public explanations and their scans")
    pages: int | None = Field(default=None, description="Page count of validated PDFs")
    scan_warnings: list[dict[str, Any]] | None = Field(
        default=None,
        sa_column=Column(JSON(none_as_null=True), nullable=True),
        description="Signed scans: the soft checks it failed against its PDF (ScanWarning), for the reviewer",
    )
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
