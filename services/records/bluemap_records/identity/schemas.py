"""Identity API shapes."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator

from bluemap_records.identity.policy import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, checked_password

Role = Literal["admin", "reviewer", "enterprise", "platform-operator"]
UserStatus = Literal["invited", "active", "disabled"]
NewPassword = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


def _inputs_of(info: ValidationInfo) -> tuple[str, ...]:
    """What the user is known by: a password made of it is easy to guess."""
    email = str(info.data.get("email") or "")
    return (email, email.split("@")[0], str(info.data.get("display_name") or ""))


class UserCreate(BaseModel):
    email: EmailStr
    display_name: str = Field(default="", max_length=200)
    password: str = NewPassword
    roles: list[Role] = Field(min_length=1)
    enterprise_id: UUID | None = None
    locale: Literal["zh", "en"] = "zh"

    @field_validator("password")
    @classmethod
    def _policy(cls, value: str, info: ValidationInfo) -> str:
        return checked_password(value, user_inputs=_inputs_of(info))


class UserInvite(BaseModel):
    """Who to invite: they get an email with a link to set their own password."""

    email: EmailStr
    display_name: str = Field(default="", max_length=200)
    roles: list[Role] = Field(min_length=1)
    enterprise_id: UUID | None = None
    locale: Literal["zh", "en"] = "zh"


class UserUpdate(BaseModel):
    """An admin's change of a user: active (disable, re-enable) and roles; each ends the user's sessions."""

    active: bool | None = None
    roles: list[Role] | None = Field(default=None, min_length=1)
    enterprise_id: UUID | None = None


class PasswordChange(BaseModel):
    """The signed-in user's new password; the current one proves it is them."""

    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new_password: str = NewPassword

    @field_validator("new_password")
    @classmethod
    def _policy(cls, value: str) -> str:
        return checked_password(value)


class PasswordResetRequest(BaseModel):
    email: EmailStr
    tenant: str = Field(min_length=1, max_length=64, description="The tenant of the account (the portal's host's)")


class PasswordSet(BaseModel):
    """A password chosen through a mailed link (invitation or reset)."""

    token: str = Field(min_length=16, max_length=200)
    password: str = NewPassword

    @field_validator("password")
    @classmethod
    def _policy(cls, value: str) -> str:
        return checked_password(value)


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tenant_id: str
    email: str
    display_name: str
    roles: list[str]
    enterprise_id: UUID | None
    locale: str
    status: UserStatus
    created_at: datetime


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
