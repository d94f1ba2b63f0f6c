"""API shapes of Live Chat."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

MAX_BODY = 4000
# Message ids are INTEGER (serial) on PostgreSQL: a cursor past the largest is a client error, not a driver overflow.
MAX_MESSAGE_ID = 2**31 - 1


class ConversationCreate(BaseModel):
    enterprise_id: UUID | None = Field(default=None, description="Operators name the enterprise; staff of one need not")
    body: str | None = Field(default=None, min_length=1, max_length=MAX_BODY, description="An optional first message")


class ConversationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    enterprise_id: UUID
    opened_by: str
    created_at: datetime
    last_message_at: datetime | None
    awaiting_since: datetime | None


class MessageCreate(BaseModel):
    body: str = Field(min_length=1, max_length=MAX_BODY)


class MessagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: UUID
    author: str
    author_name: str
    role: str
    body: str
    created_at: datetime
