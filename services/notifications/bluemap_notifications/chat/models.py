"""Chat tables: a conversation per enterprise question, and its messages in order."""

import enum
from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class AuthorRole(enum.StrEnum):
    STAFF = "staff"
    ENTERPRISE = "enterprise"


class Conversation(SQLModel, table=True):
    """A conversation of one enterprise with the tenant's staff."""

    __tablename__ = "chat_conversations"
    __table_args__ = (
        Index("ix_chat_conversations_tenant_enterprise", "tenant_id", "enterprise_id"),
        # The unanswered scan: conversations waiting for staff, oldest first.
        Index("ix_chat_conversations_awaiting", "awaiting_since"),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    enterprise_id: UUID
    opened_by: str = Field(max_length=200, description="Token subject of who opened it")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_message_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set by the first enterprise message staff have not answered yet, cleared by a staff answer.
    awaiting_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Names the current wait; the staff alert's cause, so each wait is emailed at most once.
    awaiting_id: UUID | None = None
    alerted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ChatMessage(SQLModel, table=True):
    """One message; ids grow in commit order within a conversation (posting locks the conversation)."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_conversation", "conversation_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    conversation_id: UUID = Field(foreign_key="chat_conversations.id")
    author: str = Field(max_length=200, description="Token subject of the author")
    author_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=16, description="An AuthorRole value")
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
