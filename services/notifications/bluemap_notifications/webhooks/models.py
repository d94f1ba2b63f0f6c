"""Webhook tables: partners, their subscriptions, each message's delivery and its attempts, and the facts matched on."""

import enum
from datetime import datetime
from uuid import UUID

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime, utcnow
from bluemap_shared.ids import uuid7


class Partner(SQLModel, table=True):
    """An organisation the tenant admin lets receive public changes; it reads its own data with an API token."""

    __tablename__ = "webhook_partners"
    __table_args__ = (Index("ix_webhook_partners_tenant_id", "tenant_id", "id"),)

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320, description="Where notices about its endpoints go")
    # SHA-256 of the API token: the token is random and long, so a plain digest is safe to look up by.
    token_sha256: str = Field(max_length=64, unique=True)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SubscriptionStatus(enum.StrEnum):
    """Whether a subscription receives deliveries."""

    ACTIVE = "active"
    DISABLED = "disabled"  # after persistent failure; the partner or the admin enables it again


class Subscription(SQLModel, table=True):
    """An endpoint of a partner and the public changes it receives (empty filter = any)."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (Index("ix_webhook_subscriptions_tenant_partner", "tenant_id", "partner_id"),)

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    partner_id: UUID = Field(foreign_key="webhook_partners.id")
    url: str = Field(sa_column=Column(Text, nullable=False))
    enterprise_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    region_codes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    record_types: list[str] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default=SubscriptionStatus.ACTIVE, max_length=16, description="A SubscriptionStatus value")
    # HMAC keys must be readable to sign: stored as given to the partner (whsec_ + base64).
    secret: str = Field(max_length=200)
    previous_secret: str | None = Field(default=None, max_length=200)
    previous_secret_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeliveryStatus(enum.StrEnum):
    """Where one message to one subscription stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # every retry of the schedule failed


class Delivery(SQLModel, table=True):
    """One CloudEvent to one subscription; its id is the webhook-id of every attempt and replay."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # Besides the inbox: one delivery per subscription and public change, whatever redelivers the event.
        UniqueConstraint("subscription_id", "event_id", name="uq_webhook_deliveries_subscription_event"),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # The partner's log: its deliveries, newest first.
        Index("ix_webhook_deliveries_partner", "tenant_id", "partner_id", "id"),
    )

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    partner_id: UUID
    subscription_id: UUID = Field(foreign_key="webhook_subscriptions.id")
    event_id: UUID = Field(description="The CloudEvent id: the public change's event")
    event_type: str = Field(max_length=100)
    # The exact bytes sent (and signed) on every attempt, as UTF-8 text.
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=DeliveryStatus.PENDING, max_length=16, description="A DeliveryStatus value")
    attempts: int = 0
    retries_used: int = Field(default=0, description="Steps of the retry schedule used; a replay starts it again")
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryAttempt(SQLModel, table=True):
    """One HTTP request of a delivery and what came of it."""

    __tablename__ = "webhook_delivery_attempts"
    __table_args__ = (Index("ix_webhook_delivery_attempts_delivery", "delivery_id", "id"),)

    id: UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str = Field(max_length=64)
    delivery_id: UUID = Field(foreign_key="webhook_deliveries.id")
    attempted_at: datetime = Field(sa_type=UTCDateTime)
    status_code: int | None = None
    latency_ms: float
    response_excerpt: str | None = Field(default=None, sa_column=Column(Text))
    error: str | None = Field(default=None, sa_column=Column(Text))


class WebhookEnterprise(SQLModel, table=True):
    """An enterprise's region, as its newest event told it: what region filters match on."""

    __tablename__ = "webhook_enterprises"

    tenant_id: str = Field(primary_key=True, max_length=64)
    enterprise_id: UUID = Field(primary_key=True)
    region_code: str | None = Field(default=None, max_length=32)
    as_of: datetime = Field(sa_type=UTCDateTime)


WEBHOOK_TABLES = (
    Partner.__table__,  # type: ignore[attr-defined]
    Subscription.__table__,  # type: ignore[attr-defined]
    Delivery.__table__,  # type: ignore[attr-defined]
    DeliveryAttempt.__table__,  # type: ignore[attr-defined]
    WebhookEnterprise.__table__,  # type: ignore[attr-defined]
)
