"""Tables every service database has: outbox, inbox and dead letters."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, Text, text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import BigIntPK, UTCDateTime, utcnow


class OutboxMessage(SQLModel, table=True):
    """An event written in the same transaction as the change it announces."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        # The relay's claim query and its per-key ordering guard both read only pending rows.
        Index(
            "ix_outbox_pending",
            "next_attempt_at",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
        Index(
            "ix_outbox_pending_key",
            "key",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    event_id: UUID = Field(unique=True)
    tenant_id: str = Field(max_length=64)
    topic: str = Field(max_length=200)
    key: str = Field(max_length=200)
    event_type: str = Field(max_length=200)
    headers: list[list[str]] = Field(sa_column=Column(JSON, nullable=False))
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))


class InboxMessage(SQLModel, table=True):
    """An event a consumer has handled; its primary key makes redelivery a no-op."""

    __tablename__ = "inbox_messages"

    consumer: str = Field(primary_key=True, max_length=100)
    event_id: UUID = Field(primary_key=True)
    event_type: str = Field(max_length=200)
    tenant_id: str = Field(max_length=64)
    outcome: str = Field(default="handled", max_length=20)
    handled_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeadLetter(SQLModel, table=True):
    """A message a consumer gave up on, kept whole with the reason."""

    __tablename__ = "dead_letters"
    __table_args__ = (
        # Kafka positions identify a message even when it is too broken to carry an id;
        # the in-process bus has no stable offsets (-1), there the inbox row deduplicates.
        Index(
            "uq_dead_letter_position",
            "consumer",
            "topic",
            "partition",
            "offset",
            unique=True,
            postgresql_where=text('"offset" >= 0'),
            sqlite_where=text('"offset" >= 0'),
        ),
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    consumer: str = Field(max_length=100)
    topic: str = Field(max_length=200)
    partition: int
    offset: int = Field(sa_type=BigInteger)
    event_id: str | None = Field(default=None, max_length=100)
    event_type: str | None = Field(default=None, max_length=200)
    tenant_id: str | None = Field(default=None, max_length=64)
    key: str | None = Field(default=None, max_length=200)
    headers: list[list[str]] = Field(sa_column=Column(JSON, nullable=False))
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    reason: str = Field(max_length=100)
    error: str = Field(sa_column=Column(Text, nullable=False))
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    replayed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, description="When a replay closed it")
    last_replay: str | None = Field(default=None, sa_column=Column(Text), description="When, how, by whom, why")


MESSAGING_TABLES: tuple[Any, ...] = (
    OutboxMessage.__table__,  # type: ignore[attr-defined]
    InboxMessage.__table__,  # type: ignore[attr-defined]
    DeadLetter.__table__,  # type: ignore[attr-defined]
)
