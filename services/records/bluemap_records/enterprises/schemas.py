"""Enterprise API shapes."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from bluemap_records.uscc import normalise_uscc


class EnterpriseBase(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Legal name, usually Chinese")
    name_en: str | None = Field(default=None, max_length=300)
    region_code: str | None = Field(default=None, pattern=r"^\d{6}$", description="GB/T 2260 division code")
    industry: str | None = Field(default=None, max_length=200)
    registered_emails: list[EmailStr] = Field(default_factory=list, max_length=10)

    @field_validator("name", "name_en", "industry")
    @classmethod
    def _trim(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None


class EnterpriseCreate(EnterpriseBase):
    uscc: str = Field(description="Unified Social Credit Code, 18 characters, GB 32100-2015 check digit")

    @field_validator("uscc")
    @classmethod
    def _valid_uscc(cls, value: str) -> str:
        return normalise_uscc(value)


class EnterprisePublic(EnterpriseBase):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tenant_id: str
    uscc: str
    status: str
    created_at: datetime
    updated_at: datetime
