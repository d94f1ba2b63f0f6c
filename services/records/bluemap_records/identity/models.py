"""Users of the built-in identity provider."""

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class User(SQLModel, table=True):
    """A login: operator staff (admin, reviewer) or an enterprise's staff."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email", name="uq_users_tenant_email"),)

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    email: str = Field(max_length=320)
    password_hash: str = Field(max_length=200)
    display_name: str = Field(default="", max_length=200)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    enterprise_id: UUID | None = Field(default=None, foreign_key="enterprises.id")
    locale: str = Field(default="zh", max_length=10)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LoginFailures(SQLModel, table=True):
    """Recent failed logins of one account (tenant and email) or one client address: they slow the next attempt.

    In the database, not in process memory, so every replica of the service sees the same count.
    """

    __tablename__ = "login_failures"

    # sha256 hex of "account|<tenant>|<email>" or "address|<ip>": fixed length, and no email of a stranger kept.
    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failed_at: datetime = Field(sa_type=UTCDateTime)
    blocked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserSession(SQLModel, table=True):
    """One login: its tokens carry the id as `sid`; revoked at logout, when the user is disabled or changed."""

    __tablename__ = "user_sessions"

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    user_id: UUID = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PasswordTokenPurpose(StrEnum):
    INVITE = "invite"
    RESET = "reset"


class PasswordToken(SQLModel, table=True):
    """A mailed link that sets a user's password (invitation, reset): expiring, single-use, kept as a hash only."""

    __tablename__ = "password_tokens"

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    user_id: UUID = Field(foreign_key="users.id", index=True)
    purpose: str = Field(max_length=16)
    # sha256 hex of the token: 256 random bits need no salt, and a leaked table opens no link.
    token_sha256: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
