"""The portal's copy of the enterprise directory, built from events."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime


class PortalEnterprise(SQLModel, table=True):
    """An enterprise as the public sees it; id is the records service's enterprise id."""

    __tablename__ = "portal_enterprises"
    __table_args__ = (
        Index("ix_portal_enterprises_tenant_uscc", "tenant_id", "uscc"),
        # The home page lists the most recently updated enterprises.
        Index("ix_portal_enterprises_tenant_updated", "tenant_id", "updated_at"),
        # Search results come in name order: a word most names hold walks this and fills a page soon.
        Index("ix_portal_enterprises_tenant_name", "tenant_id", "name", "id"),
        # A word few names hold is looked up: Chinese names by character pairs (two-character words
        # hold no trigram), English names by trigrams (ILIKE). Both PostgreSQL only (migration 0003);
        # SQLite scans.
        Index("ix_portal_enterprises_name_bigrams", text("bluemap_name_bigrams(name)"), postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
        # A word of one character has no pair: its names are looked up by their characters (migration 0004).
        Index("ix_portal_enterprises_name_chars", text("string_to_array(name, NULL)"), postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
        Index(
            "ix_portal_enterprises_name_en_trgm",
            "name_en",
            postgresql_using="gin",
            postgresql_ops={"name_en": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: UUID = Field(primary_key=True)
    tenant_id: str = Field(max_length=64)
    uscc: str = Field(max_length=18)
    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=300)
    region_code: str | None = Field(default=None, max_length=6)
    updated_at: datetime = Field(sa_type=UTCDateTime, description="Time of the event the row was last taken from")
