"""Enterprise API shapes."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from bluemap_records.enterprises.rules import MAX_EMAILS, MAX_INDUSTRY, MAX_NAME, MAX_NAME_EN, check_region_code
from bluemap_records.uscc import normalise_uscc

EnterpriseStatus = Literal["active", "suspended", "closed"]


def _trimmed(value: Any) -> Any:
    # Before the length constraints, so that a name of blanks is refused as empty.
    return value.strip() if isinstance(value, str) else value


def _region(value: str | None) -> str | None:
    return check_region_code(value) if value is not None else None


class EnterpriseBase(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME, description="Legal name, usually Chinese")
    name_en: str | None = Field(default=None, max_length=MAX_NAME_EN)
    region_code: str | None = Field(default=None, pattern=r"^\d{6}$", description="GB/T 2260 division code")
    industry: str | None = Field(default=None, max_length=MAX_INDUSTRY)
    registered_emails: list[EmailStr] = Field(
        default_factory=list,
        max_length=MAX_EMAILS,
        description="Addresses that receive the enterprise's notifications and explanation PDFs",
    )


class EnterpriseCreate(EnterpriseBase):
    uscc: str = Field(description="Unified Social Credit Code, 18 characters, GB 32100-2015 check digit")

    _trim = field_validator("name", "name_en", "industry", mode="before")(_trimmed)
    _region_code = field_validator("region_code")(_region)

    @field_validator("uscc")
    @classmethod
    def _valid_uscc(cls, value: str) -> str:
        return normalise_uscc(value)


class EnterpriseUpdate(BaseModel):
    """A partial change: only the fields sent change; null clears an optional field.

    Registered emails are absent on purpose: they change only through a confirmed email change.
    """

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    name_en: str | None = Field(default=None, max_length=MAX_NAME_EN)
    region_code: str | None = Field(default=None, pattern=r"^\d{6}$", description="GB/T 2260 division code")
    industry: str | None = Field(default=None, max_length=MAX_INDUSTRY)
    status: EnterpriseStatus | None = None

    _trim = field_validator("name", "name_en", "industry", mode="before")(_trimmed)
    _region_code = field_validator("region_code")(_region)

    @field_validator("name", "status")
    @classmethod
    def _not_null(cls, value: str | None) -> str | None:
        if value is None:
            raise ValueError("cannot be null")
        return value


class EnterprisePublic(EnterpriseBase):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tenant_id: str
    uscc: str
    status: str
    created_at: datetime
    updated_at: datetime


class EmailChangeCreate(BaseModel):
    """Enterprise staff ask to change a registered email; the new address must confirm by a mailed link."""

    model_config = ConfigDict(extra="forbid")

    new_email: EmailStr = Field(description="The address to register; the confirmation link is mailed to it")
    replaces: EmailStr | None = Field(
        default=None,
        description="The registered address to replace; the first (primary) one when left out. "
        "With no address registered yet, the new one becomes the first.",
    )


class EmailChangePublic(BaseModel):
    """A requested change of a registered email (the link's token is never shown again)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    enterprise_id: UUID
    new_email: str
    replaces_email: str | None
    status: Literal["pending", "confirmed", "superseded"]
    requested_at: datetime
    expires_at: datetime


class EmailChangeConfirmation(BaseModel):
    """The token of the link mailed to the new address."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")


class EmailChangeConfirmed(BaseModel):
    """What the confirmation changed: the enterprise's registered emails, the new one in place of the old."""

    enterprise_id: UUID
    enterprise_name: str
    new_email: str
    replaced_email: str | None
