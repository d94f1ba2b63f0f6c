"""Webhook use cases; the caller's transaction commits them."""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.webhooks.changes import Filters, PublicChange, public_change, source_of
from bluemap_notifications.webhooks.delivery import RetrySchedule, check_url, new_secret
from bluemap_notifications.webhooks.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Partner,
    Subscription,
    SubscriptionStatus,
)
from bluemap_notifications.webhooks.repository import WebhookRepository
from bluemap_notifications.webhooks.schemas import (
    AttemptPublic,
    DeliveryPublic,
    PartnerCreate,
    SubscriptionCreate,
)
from bluemap_shared.events.catalog import EnterpriseSnapshot, WebhookSubscriptionDisabled
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging import emit
from bluemap_shared.problems import Conflict, NotFound, Unauthorized

log = structlog.get_logger()

TOKEN_PREFIX = "bmp_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_partner(
    session: AsyncSession, tenant_id: str, body: PartnerCreate, *, created_by: str
) -> tuple[Partner, str]:
    """A partner of the tenant and its API token (returned once, stored as a digest)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    partner = Partner(
        tenant_id=tenant_id,
        name=body.name,
        email=str(body.email),
        token_sha256=token_digest(token),
        created_by=created_by,
    )
    session.add(partner)
    await session.flush()
    log.info("webhooks.partner_created", partner_id=str(partner.id), tenant_id=tenant_id)
    return partner, token


async def partner_of_token(session: AsyncSession, token: str) -> Partner:
    """The partner an API token belongs to; 401 for any other token."""
    partner = await WebhookRepository(session).partner_by_token(token_digest(token))
    if partner is None:
        raise Unauthorized("Unknown partner API token.")
    return partner


async def list_partners(session: AsyncSession, tenant_id: str) -> Sequence[Partner]:
    return await WebhookRepository(session).list_partners(tenant_id)


async def create_subscription(
    session: AsyncSession, tenant_id: str, partner_id: UUID, body: SubscriptionCreate, *, allow_loopback_http: bool
) -> Subscription:
    """Subscribe a partner's endpoint; the URL must be https and not internal (SSRF)."""
    if await WebhookRepository(session).get_partner(tenant_id, partner_id) is None:
        raise NotFound("No such partner.", field="partner_id")
    check_url(body.url, allow_loopback_http=allow_loopback_http)
    subscription = Subscription(
        tenant_id=tenant_id,
        partner_id=partner_id,
        url=body.url,
        enterprise_ids=sorted({str(e) for e in body.enterprise_ids}),
        region_codes=sorted(set(body.region_codes)),
        record_types=sorted(set(body.record_types)),
        secret=new_secret(),
    )
    session.add(subscription)
    await session.flush()
    log.info("webhooks.subscribed", subscription_id=str(subscription.id), partner_id=str(partner_id))
    return subscription


async def get_subscription(
    session: AsyncSession, tenant_id: str, subscription_id: UUID, *, partner_id: UUID | None = None
) -> Subscription:
    found = await WebhookRepository(session).get_subscription(
        tenant_id, subscription_id, partner_id=partner_id, for_update=True
    )
    if found is None:
        raise NotFound("No such subscription.")
    return found


async def list_subscriptions(
    session: AsyncSession, tenant_id: str, *, partner_id: UUID | None = None
) -> Sequence[Subscription]:
    return await WebhookRepository(session).list_subscriptions(tenant_id, partner_id=partner_id)


async def rotate_secret(
    session: AsyncSession,
    tenant_id: str,
    subscription_id: UUID,
    *,
    overlap: timedelta,
    now: datetime,
    partner_id: UUID | None = None,
) -> Subscription:
    """A new signing secret; the old one signs beside it for `overlap`, so receivers can switch without a gap."""
    subscription = await get_subscription(session, tenant_id, subscription_id, partner_id=partner_id)
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_until = now + overlap
    subscription.secret = new_secret()
    await session.flush()
    log.info("webhooks.secret_rotated", subscription_id=str(subscription.id))
    return subscription


async def enable(
    session: AsyncSession, tenant_id: str, subscription_id: UUID, *, partner_id: UUID | None = None
) -> Subscription:
    """Deliver to a disabled endpoint again; its waiting deliveries go out at once."""
    subscription = await get_subscription(session, tenant_id, subscription_id, partner_id=partner_id)
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.disabled_at = None
    subscription.disabled_reason = None
    await session.flush()
    return subscription


async def list_deliveries(
    session: AsyncSession,
    partner: Partner,
    *,
    subscription_id: UUID | None = None,
    status: str | None = None,
    before: UUID | None = None,
    limit: int = 50,
) -> list[DeliveryPublic]:
    """The partner's deliveries, newest first, each with its attempts."""
    repository = WebhookRepository(session)
    rows = await repository.list_deliveries(
        partner.tenant_id, partner.id, subscription_id=subscription_id, status=status, before=before, limit=limit
    )
    return await _with_attempts(repository, partner.tenant_id, rows)


async def get_delivery(session: AsyncSession, partner: Partner, delivery_id: UUID) -> DeliveryPublic:
    repository = WebhookRepository(session)
    delivery = await repository.get_delivery(partner.tenant_id, delivery_id, partner_id=partner.id)
    if delivery is None:
        raise NotFound("No such delivery.")
    return (await _with_attempts(repository, partner.tenant_id, [delivery]))[0]


async def _with_attempts(
    repository: WebhookRepository, tenant_id: str, rows: Sequence[Delivery]
) -> list[DeliveryPublic]:
    attempts: dict[UUID, list[AttemptPublic]] = {}
    for attempt in await repository.attempts_of(tenant_id, [d.id for d in rows]):
        attempts.setdefault(attempt.delivery_id, []).append(AttemptPublic.model_validate(attempt))
    shaped = []
    for delivery in rows:
        public = DeliveryPublic.model_validate(delivery)
        if delivery.status != DeliveryStatus.PENDING:
            public.next_attempt_at = None
        public.attempt_log = attempts.get(delivery.id, [])
        shaped.append(public)
    return shaped


async def replay(session: AsyncSession, partner: Partner, delivery_id: UUID, *, now: datetime) -> Delivery:
    """Send a delivery again now, with the same webhook-id and body, on a fresh retry schedule."""
    repository = WebhookRepository(session)
    delivery = await repository.get_delivery(partner.tenant_id, delivery_id, partner_id=partner.id, for_update=True)
    if delivery is None:
        raise NotFound("No such delivery.")
    subscription = await repository.get_subscription(partner.tenant_id, delivery.subscription_id)
    if subscription is None or subscription.status != SubscriptionStatus.ACTIVE:
        raise Conflict("The subscription is disabled: enable it first.", subscription_id=str(delivery.subscription_id))
    delivery.status = DeliveryStatus.PENDING
    delivery.retries_used = 0
    delivery.next_attempt_at = now
    delivery.delivered_at = None
    await session.flush()
    log.info("webhooks.replay_queued", delivery_id=str(delivery.id))
    return delivery


async def project_enterprises(session: AsyncSession, seen: Sequence[tuple[str, EnterpriseSnapshot, datetime]]) -> None:
    """Remember enterprises' regions, what region filters match explanations and documents on."""
    rows = [
        {"tenant_id": tenant, "enterprise_id": e.enterprise_id, "region_code": e.region_code, "as_of": as_of}
        for tenant, e, as_of in seen
    ]
    await WebhookRepository(session).project_enterprises(rows)


async def queue_changes(session: AsyncSession, envelopes: Sequence[Envelope[Any]], *, now: datetime) -> int:
    """Queue one delivery per public change and matching active subscription; how many were new.

    Record events also teach the enterprise's region, so explanations and documents of its records
    match region filters; their record types come from the deadlines context's tracked records.
    """
    changes = [change for change in map(public_change, envelopes) if change is not None]
    if not changes:
        return 0
    repository = WebhookRepository(session)
    await _learn(repository, changes)
    subscriptions = await repository.active_subscriptions({c.tenant_id for c in changes})
    if not subscriptions:
        return 0
    rows: list[dict[str, Any]] = []
    for tenant_id in {c.tenant_id for c in changes}:
        of_tenant = [c for c in changes if c.tenant_id == tenant_id]
        listening = [s for s in subscriptions if s.tenant_id == tenant_id]
        if not listening:
            continue
        regions = await repository.regions_of(tenant_id, {c.enterprise_id for c in of_tenant})
        types = await repository.types_of(tenant_id, {r for c in of_tenant for r in c.record_ids})
        source = source_of(tenant_id)
        for change in of_tenant:
            region = change.region_code or regions.get(change.enterprise_id)
            record_types = (
                [change.record_type] if change.record_type else [types[r] for r in change.record_ids if r in types]
            )
            body: str | None = None
            for subscription in listening:
                if not _filters(subscription).matches(change, region_code=region, record_types=record_types):
                    continue
                body = body or change.body(source).decode()
                rows.append(_delivery_row(subscription, change, body, now))
    inserted = await repository.add_deliveries(rows)
    if inserted:
        log.info("webhooks.deliveries_queued", count=len(inserted), changes=len(changes))
    return len(inserted)


async def _learn(repository: WebhookRepository, changes: Sequence[PublicChange]) -> None:
    # Records' types need no table here: the deadlines context keeps every published record's.
    enterprises = [
        {"tenant_id": c.tenant_id, "enterprise_id": c.enterprise_id, "region_code": c.region_code, "as_of": c.time}
        for c in changes
        if c.record_type is not None  # the record events carry the enterprise's snapshot
    ]
    await repository.project_enterprises(enterprises)


def _filters(subscription: Subscription) -> Filters:
    return Filters(
        enterprise_ids=frozenset(subscription.enterprise_ids),
        region_codes=tuple(subscription.region_codes),
        record_types=frozenset(subscription.record_types),
    )


def _delivery_row(subscription: Subscription, change: PublicChange, body: str, now: datetime) -> dict[str, Any]:
    return Delivery(
        tenant_id=subscription.tenant_id,
        partner_id=subscription.partner_id,
        subscription_id=subscription.id,
        event_id=change.event_id,
        event_type=change.cloudevent_type,
        body=body,
        next_attempt_at=now,
        created_at=now,
    ).model_dump()


@dataclass(frozen=True)
class Outcome:
    """What one HTTP attempt came to."""

    attempted_at: datetime
    latency_ms: float
    status_code: int | None = None
    response_excerpt: str | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def record_outcomes(
    session: AsyncSession, done: Sequence[tuple[Delivery, Outcome]], *, schedule: RetrySchedule, now: datetime
) -> None:
    """record_outcome of many attempts: the delivered ones (the usual case) in one statement per table."""
    delivered = [(delivery, outcome) for delivery, outcome in done if outcome.delivered]
    repository = WebhookRepository(session)
    await repository.add_attempts([_attempt(delivery, outcome).model_dump() for delivery, outcome in delivered])
    await repository.mark_delivered(
        [{"delivery_id": delivery.id, "status_code": outcome.status_code} for delivery, outcome in delivered], now
    )
    if delivered:
        log.info("webhooks.delivered", count=len(delivered))
    for delivery, outcome in done:
        if not outcome.delivered:
            await record_outcome(session, delivery, outcome, schedule=schedule, now=now)


def _attempt(delivery: Delivery, outcome: Outcome) -> DeliveryAttempt:
    return DeliveryAttempt(
        tenant_id=delivery.tenant_id,
        delivery_id=delivery.id,
        attempted_at=outcome.attempted_at,
        status_code=outcome.status_code,
        latency_ms=outcome.latency_ms,
        response_excerpt=outcome.response_excerpt,
        error=outcome.error,
    )


async def record_outcome(
    session: AsyncSession, delivery: Delivery, outcome: Outcome, *, schedule: RetrySchedule, now: datetime
) -> Delivery | None:
    """Log the attempt; mark the delivery delivered, schedule its retry, or give up and disable the endpoint."""
    repository = WebhookRepository(session)
    current = await repository.get_delivery(delivery.tenant_id, delivery.id, for_update=True)
    if current is None:
        return None
    session.add(_attempt(current, outcome))
    current.attempts += 1
    current.last_status_code = outcome.status_code
    current.last_error = outcome.error
    if outcome.delivered:
        current.status = DeliveryStatus.DELIVERED
        current.delivered_at = now
        log.info("webhooks.delivered", delivery_id=str(current.id), status_code=outcome.status_code)
        return current
    if current.status != DeliveryStatus.PENDING:
        return current  # delivered meanwhile by another attempt (a replay racing a retry)
    delay = schedule.next_delay(current.retries_used)
    if delay is not None:
        current.retries_used += 1
        current.next_attempt_at = now + delay
        log.info("webhooks.retry_scheduled", delivery_id=str(current.id), delay=delay.total_seconds())
        return current
    current.status = DeliveryStatus.FAILED
    log.warning("webhooks.gave_up", delivery_id=str(current.id), subscription_id=str(current.subscription_id))
    await _disable(session, current, now=now)
    return current


async def _disable(session: AsyncSession, delivery: Delivery, *, now: datetime) -> None:
    """Disable the endpoint whose delivery failed the whole schedule, and tell the partner (by an event)."""
    repository = WebhookRepository(session)
    subscription = await repository.get_subscription(delivery.tenant_id, delivery.subscription_id, for_update=True)
    if subscription is None or subscription.status != SubscriptionStatus.ACTIVE:
        return
    partner = await repository.get_partner(delivery.tenant_id, subscription.partner_id)
    if partner is None:
        return
    reason = (
        f"{delivery.attempts} attempts failed since {delivery.created_at.isoformat(timespec='seconds')}; "
        f"last: {_last_failure(delivery)}"
    )
    subscription.status = SubscriptionStatus.DISABLED
    subscription.disabled_at = now
    subscription.disabled_reason = reason
    emit(
        session,
        WebhookSubscriptionDisabled(
            subscription_id=subscription.id,
            partner_id=partner.id,
            partner_name=partner.name,
            partner_email=partner.email,
            url=subscription.url,
            reason=reason,
            failing_since=delivery.created_at,
            disabled_at=now,
        ),
        tenant_id=subscription.tenant_id,
    )
    log.warning("webhooks.subscription_disabled", subscription_id=str(subscription.id))


def _last_failure(delivery: Delivery) -> str:
    if delivery.last_status_code is not None:
        return f"HTTP {delivery.last_status_code}"
    return (delivery.last_error or "no answer")[:200]
