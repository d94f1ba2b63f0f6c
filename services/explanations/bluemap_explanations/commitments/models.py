"""Commitment tables: the texts, versioned per tenant, and what enterprises answered."""

import enum
from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class CommitmentText(SQLModel, table=True):
    """One language of one version of a tenant's commitment; every version exists in every language."""

    __tablename__ = "commitment_texts"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "version", "language", name="uq_commitment_texts_version"),)

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    kind: str = Field(max_length=20, description="A CommitmentKind value")
    version: int
    language: str = Field(max_length=2)
    text: str = Field(sa_column=Column(Text, nullable=False))
    text_sha256: str = Field(max_length=64)
    published_by: str = Field(max_length=200)
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Answer(enum.StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"


class CommitmentResponse(SQLModel, table=True):
    """An enterprise user's Accept or Decline of one commitment version, kept as evidence."""

    __tablename__ = "commitment_responses"
    __table_args__ = (
        # The standing of an enterprise: its latest answer to the current version of a kind.
        Index("ix_commitment_responses_standing", "tenant_id", "enterprise_id", "kind", "version", "responded_at"),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    enterprise_id: UUID
    kind: str = Field(max_length=20)
    version: int
    language: str = Field(max_length=2)
    text_sha256: str = Field(max_length=64, description="SHA-256 of the exact text answered")
    answer: str = Field(max_length=10, description="An Answer value")
    responded_by: str = Field(max_length=200)
    responded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    client_ip: str | None = Field(default=None, max_length=45)
