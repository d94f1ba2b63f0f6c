"""Webhook APIs: the tenant admin manages partners and their subscriptions; a partner reads its own with its token."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bluemap_notifications.webhooks import service
from bluemap_notifications.webhooks.models import DeliveryStatus, Partner, Subscription
from bluemap_notifications.webhooks.schemas import (
    DeliveryPublic,
    PartnerCreate,
    PartnerCreated,
    PartnerPublic,
    SubscriptionCreate,
    SubscriptionPublic,
    SubscriptionSecret,
)
from bluemap_shared.auth import Admin
from bluemap_shared.db import on_commit, utcnow
from bluemap_shared.problems import Unauthorized
from bluemap_shared.runtime import SessionDep

admin_router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
partner_router = APIRouter(prefix="/v1/partner", tags=["partner"])

_bearer = HTTPBearer(auto_error=False, description="The partner's API token (bmp_...)")


async def current_partner(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Partner:
    """The partner whose API token the request carries; 401 otherwise."""
    if credentials is None or not credentials.credentials.startswith(service.TOKEN_PREFIX):
        raise Unauthorized("A partner API token is required.")
    return await service.partner_of_token(session, credentials.credentials)


CurrentPartner = Annotated[Partner, Depends(current_partner)]


@dataclass(frozen=True)
class WebhookApiSettings:
    """What the endpoints need beside the session: the URL rule, the rotation overlap, the dispatcher's wake-up."""

    allow_loopback_http: bool
    secret_overlap: timedelta
    wake_dispatcher: Callable[[], None]


def _settings(request: Request) -> WebhookApiSettings:
    settings: WebhookApiSettings = request.app.state.webhooks
    return settings


ApiSettings = Annotated[WebhookApiSettings, Depends(_settings)]


def _secret(subscription: Subscription) -> SubscriptionSecret:
    return SubscriptionSecret.model_validate(subscription, from_attributes=True)


@admin_router.post("/partners", response_model=PartnerCreated, status_code=status.HTTP_201_CREATED)
async def create_partner(body: PartnerCreate, session: SessionDep, principal: Admin) -> PartnerCreated:
    """Create a partner of the tenant; its API token is in this answer only."""
    partner, token = await service.create_partner(session, principal.tenant_id, body, created_by=principal.subject)
    return PartnerCreated(**PartnerPublic.model_validate(partner).model_dump(), api_token=token)


@admin_router.get("/partners", response_model=list[PartnerPublic])
async def list_partners(session: SessionDep, principal: Admin) -> list[PartnerPublic]:
    """The tenant's partners, newest first."""
    return [PartnerPublic.model_validate(p) for p in await service.list_partners(session, principal.tenant_id)]


@admin_router.post(
    "/partners/{partner_id}/subscriptions", response_model=SubscriptionSecret, status_code=status.HTTP_201_CREATED
)
async def create_subscription(
    partner_id: UUID, body: SubscriptionCreate, session: SessionDep, principal: Admin, settings: ApiSettings
) -> SubscriptionSecret:
    """Subscribe a partner's https endpoint to the public changes of enterprises, regions or record types."""
    subscription = await service.create_subscription(
        session, principal.tenant_id, partner_id, body, allow_loopback_http=settings.allow_loopback_http
    )
    return _secret(subscription)


@admin_router.get("/partners/{partner_id}/subscriptions", response_model=list[SubscriptionPublic])
async def list_partner_subscriptions(
    partner_id: UUID, session: SessionDep, principal: Admin
) -> list[SubscriptionPublic]:
    """A partner's subscriptions, newest first."""
    rows = await service.list_subscriptions(session, principal.tenant_id, partner_id=partner_id)
    return [SubscriptionPublic.model_validate(s) for s in rows]


@admin_router.post("/subscriptions/{subscription_id}/rotate-secret", response_model=SubscriptionSecret)
async def admin_rotate_secret(
    subscription_id: UUID, session: SessionDep, principal: Admin, settings: ApiSettings
) -> SubscriptionSecret:
    """A new signing secret; the previous one signs too until previous_secret_until."""
    subscription = await service.rotate_secret(
        session, principal.tenant_id, subscription_id, overlap=settings.secret_overlap, now=utcnow()
    )
    return _secret(subscription)


@admin_router.post("/subscriptions/{subscription_id}/enable", response_model=SubscriptionPublic)
async def admin_enable(
    subscription_id: UUID, session: SessionDep, principal: Admin, settings: ApiSettings
) -> SubscriptionPublic:
    """Deliver to a disabled endpoint again."""
    subscription = await service.enable(session, principal.tenant_id, subscription_id)
    on_commit(session, settings.wake_dispatcher)
    return SubscriptionPublic.model_validate(subscription)


@partner_router.get("/subscriptions", response_model=list[SubscriptionPublic])
async def my_subscriptions(session: SessionDep, partner: CurrentPartner) -> list[SubscriptionPublic]:
    """The calling partner's subscriptions."""
    rows = await service.list_subscriptions(session, partner.tenant_id, partner_id=partner.id)
    return [SubscriptionPublic.model_validate(s) for s in rows]


@partner_router.post("/subscriptions/{subscription_id}/rotate-secret", response_model=SubscriptionSecret)
async def rotate_my_secret(
    subscription_id: UUID, session: SessionDep, partner: CurrentPartner, settings: ApiSettings
) -> SubscriptionSecret:
    """A new signing secret for one of the partner's subscriptions, with the overlap of the old one."""
    subscription = await service.rotate_secret(
        session,
        partner.tenant_id,
        subscription_id,
        overlap=settings.secret_overlap,
        now=utcnow(),
        partner_id=partner.id,
    )
    return _secret(subscription)


@partner_router.post("/subscriptions/{subscription_id}/enable", response_model=SubscriptionPublic)
async def enable_mine(
    subscription_id: UUID, session: SessionDep, partner: CurrentPartner, settings: ApiSettings
) -> SubscriptionPublic:
    """Deliver to the partner's disabled endpoint again, once it is fixed."""
    subscription = await service.enable(session, partner.tenant_id, subscription_id, partner_id=partner.id)
    on_commit(session, settings.wake_dispatcher)
    return SubscriptionPublic.model_validate(subscription)


@partner_router.get("/deliveries", response_model=list[DeliveryPublic])
async def my_deliveries(
    session: SessionDep,
    partner: CurrentPartner,
    subscription_id: UUID | None = None,
    status: DeliveryStatus | None = None,
    before: UUID | None = Query(default=None, description="Cursor: the last id of the previous page"),
    limit: int = Query(default=50, ge=1, le=200),
) -> list[DeliveryPublic]:
    """The delivery log: the partner's deliveries, newest first, with every attempt (status, latency, answer)."""
    return await service.list_deliveries(
        session, partner, subscription_id=subscription_id, status=status, before=before, limit=limit
    )


@partner_router.get("/deliveries/{delivery_id}", response_model=DeliveryPublic)
async def my_delivery(delivery_id: UUID, session: SessionDep, partner: CurrentPartner) -> DeliveryPublic:
    """One delivery and its attempts."""
    return await service.get_delivery(session, partner, delivery_id)


@partner_router.post(
    "/deliveries/{delivery_id}/replay", response_model=DeliveryPublic, status_code=status.HTTP_202_ACCEPTED
)
async def replay(
    delivery_id: UUID, session: SessionDep, partner: CurrentPartner, settings: ApiSettings
) -> DeliveryPublic:
    """Send a delivery again (same webhook-id and body), delivered or not."""
    await service.replay(session, partner, delivery_id, now=utcnow())
    on_commit(session, settings.wake_dispatcher)
    return await service.get_delivery(session, partner, delivery_id)
