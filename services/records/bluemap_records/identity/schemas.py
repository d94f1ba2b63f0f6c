"""Identity API shapes."""

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

MIN_PASSWORD_LENGTH = 10


class UserCreate(BaseModel):
    email: EmailStr
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=200)
    display_name: str = Field(default="", max_length=200)
    roles: list[Literal["admin", "reviewer", "enterprise", "platform-operator"]] = Field(min_length=1)
    enterprise_id: UUID | None = None
    locale: Literal["zh", "en"] = "zh"

    @field_validator("password")
    @classmethod
    def _not_padding(cls, value: str) -> str:
        # Ten spaces are ten characters; spaces around a password count for nothing.
        if len(value.strip()) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters besides surrounding spaces")
        return value


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
