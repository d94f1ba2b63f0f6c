"""The contacts read model: one row per enterprise of a tenant."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime


class EnterpriseContact(SQLModel, table=True):
    """An enterprise's names and registered addresses as the newest event told them."""

    __tablename__ = "enterprise_contacts"

    # The tenant is part of the key: an event of one tenant can never touch another's contact.
    tenant_id: str = Field(primary_key=True, max_length=64)
    enterprise_id: UUID = Field(primary_key=True)
    uscc: str = Field(max_length=18)
    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=300)
    registered_emails: list[str] = Field(sa_column=Column(JSON, nullable=False))
    status: str | None = Field(default=None, max_length=32, description="Directory status, from EnterpriseUpdated")
    as_of: datetime = Field(sa_type=UTCDateTime, description="Time of the event the row was last taken from")
