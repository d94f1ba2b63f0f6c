"""Identity API shapes."""

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class UserCreate(BaseModel):
    email: EmailStr
    password: str = Field(min_length=10, max_length=200)
    display_name: str = Field(default="", max_length=200)
    roles: list[Literal["admin", "reviewer", "enterprise"]] = Field(min_length=1)
    enterprise_id: UUID | None = None
    locale: Literal["zh", "en"] = "zh"


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tenant_id: str
    email: str
    display_name: str
    roles: list[str]
    enterprise_id: UUID | None
    locale: str


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
