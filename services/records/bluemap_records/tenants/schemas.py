"""Tenant registry API shapes."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, field_validator

from bluemap_records.identity.policy import checked_password
from bluemap_records.identity.schemas import NewPassword
from bluemap_shared.events.catalog import HOSTNAME_PATTERN, TENANT_ID_PATTERN, TenantStatus


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


# Hosts compare case-insensitively: kept in lower case, as the portal looks them up.
Hostname = Annotated[
    str, BeforeValidator(_lower), Field(pattern=HOSTNAME_PATTERN, max_length=253, examples=["map.example.org"])
]
BrandColour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", examples=["#0b5cab"])]
LogoUrl = Annotated[str, Field(max_length=2000, pattern=r"^https?://", examples=["https://map.example.org/logo.svg"])]


def _hosts(value: list[str] | None) -> list[str] | None:
    """Each once, in the order given."""
    return None if value is None else list(dict.fromkeys(value))


class FirstAdmin(BaseModel):
    """The tenant's first admin login, created with it."""

    email: EmailStr
    password: str = NewPassword
    display_name: str = Field(default="", max_length=200)
    locale: Literal["zh", "en"] = "zh"

    @field_validator("password")
    @classmethod
    def _policy(cls, value: str) -> str:
        return checked_password(value)


class TenantSettingsIn(BaseModel):
    """A new tenant's settings."""

    id: str = Field(pattern=TENANT_ID_PATTERN, description="Lower-case letters, digits and hyphens; never changes")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    hostnames: list[Hostname] = Field(default_factory=list, max_length=20)
    default_language: Literal["zh", "en"] = "zh"
    mail_sender_name: str = Field(min_length=1, max_length=200)
    mail_sender_address: EmailStr
    staff_email: EmailStr | None = None
    logo_url: LogoUrl | None = None
    brand_colour: BrandColour = "#0b5cab"

    _lower_hosts = field_validator("hostnames", mode="after")(_hosts)


class TenantCreate(TenantSettingsIn):
    first_admin: FirstAdmin


class TenantUpdate(BaseModel):
    """Fields to change; absent ones stay. A tenant's admin may change all but hostnames."""

    name_zh: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    hostnames: list[Hostname] | None = Field(default=None, max_length=20)
    default_language: Literal["zh", "en"] | None = None
    mail_sender_name: str | None = Field(default=None, min_length=1, max_length=200)
    mail_sender_address: EmailStr | None = None
    staff_email: EmailStr | None = None
    logo_url: LogoUrl | None = None
    brand_colour: BrandColour | None = None

    _lower_hosts = field_validator("hostnames", mode="after")(_hosts)


class TenantSuspension(BaseModel):
    reason: str = Field(default="", max_length=2000)


class TenantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name_zh: str
    name_en: str
    hostnames: list[str]
    default_language: str
    mail_sender_name: str
    mail_sender_address: str
    staff_email: str | None
    logo_url: str | None
    brand_colour: str
    status: TenantStatus
    suspended_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class TenantCreated(TenantPublic):
    first_admin_id: UUID
