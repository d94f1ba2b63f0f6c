"""Webhook API shapes: partners, subscriptions, deliveries and their attempts."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from bluemap_notifications.webhooks.changes import KINDS


class PartnerCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr = Field(description="Where notices about the partner's endpoints go (a disabled endpoint)")


class PartnerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    email: str
    created_at: datetime


class PartnerCreated(PartnerPublic):
    api_token: str = Field(description="Bearer token of the partner API; shown once, only its digest is kept")


class SubscriptionCreate(BaseModel):
    url: str = Field(min_length=8, max_length=2000, description="https:// endpoint the CloudEvents are POSTed to")
    enterprise_ids: list[UUID] = Field(default_factory=list, max_length=500)
    region_codes: list[Annotated[str, StringConstraints(pattern=r"^[0-9]{2,12}$")]] = Field(
        default_factory=list, max_length=500, description="Region codes; 440000 holds every region of Guangdong"
    )
    record_types: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=100
    )


class SubscriptionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    partner_id: UUID
    url: str
    enterprise_ids: list[str]
    region_codes: list[str]
    record_types: list[str]
    status: str
    previous_secret_until: datetime | None = Field(
        description="Until then the previous secret signs too (rotation overlap)"
    )
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime
    kinds: list[str] = Field(default=list(KINDS), description="The public changes delivered")


class SubscriptionSecret(SubscriptionPublic):
    secret: str = Field(description="whsec_ signing secret (Standard Webhooks); shown when created or rotated")


class AttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempted_at: datetime
    status_code: int | None
    latency_ms: float
    response_excerpt: str | None
    error: str | None


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The webhook-id header of every attempt")
    subscription_id: UUID
    event_id: UUID
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptPublic] = Field(default_factory=list)
