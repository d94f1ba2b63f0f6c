"""API shapes of following."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class FollowCreate(BaseModel):
    enterprise_id: UUID


class FollowPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    enterprise_id: UUID
    email: str
    created_at: datetime
    enterprise_name: str | None = None
    enterprise_name_en: str | None = None
