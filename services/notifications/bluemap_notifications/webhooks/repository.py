"""Every webhook query, scoped by tenant (the dispatcher's claim spans tenants, as the email dispatcher's does)."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.deadlines.models import TrackedRecord
from bluemap_notifications.webhooks.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Partner,
    Subscription,
    SubscriptionStatus,
    WebhookEnterprise,
)
from bluemap_shared.db import insert_for, standing_rows, upsert_many


class WebhookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def partner_by_token(self, token_sha256: str) -> Partner | None:
        result = await self._session.exec(select(Partner).where(Partner.token_sha256 == token_sha256))
        return result.first()

    async def get_partner(self, tenant_id: str, partner_id: UUID) -> Partner | None:
        result = await self._session.exec(
            select(Partner).where(Partner.tenant_id == tenant_id, Partner.id == partner_id)
        )
        return result.first()

    async def list_partners(self, tenant_id: str) -> Sequence[Partner]:
        result = await self._session.exec(
            select(Partner).where(Partner.tenant_id == tenant_id).order_by(col(Partner.id).desc())
        )
        return result.all()

    async def get_subscription(
        self, tenant_id: str, subscription_id: UUID, *, partner_id: UUID | None = None, for_update: bool = False
    ) -> Subscription | None:
        query = select(Subscription).where(Subscription.tenant_id == tenant_id, Subscription.id == subscription_id)
        if partner_id is not None:
            query = query.where(Subscription.partner_id == partner_id)
        if for_update:
            query = query.with_for_update()
        return (await self._session.exec(query)).first()

    async def list_subscriptions(self, tenant_id: str, *, partner_id: UUID | None = None) -> Sequence[Subscription]:
        query = select(Subscription).where(Subscription.tenant_id == tenant_id)
        if partner_id is not None:
            query = query.where(Subscription.partner_id == partner_id)
        return (await self._session.exec(query.order_by(col(Subscription.id).desc()))).all()

    async def active_subscriptions(self, tenant_ids: Collection[str]) -> Sequence[Subscription]:
        result = await self._session.exec(
            select(Subscription).where(
                col(Subscription.tenant_id).in_(tenant_ids), Subscription.status == SubscriptionStatus.ACTIVE
            )
        )
        return result.all()

    async def subscriptions_by_id(self, ids: Collection[UUID]) -> dict[UUID, Subscription]:
        result = await self._session.exec(select(Subscription).where(col(Subscription.id).in_(ids)))
        return {s.id: s for s in result.all()}

    async def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> list[UUID]:
        """Insert deliveries but those of a (subscription, event) queued already; the inserted ids."""
        if not rows:
            return []
        table = Delivery.__table__  # type: ignore[attr-defined]
        stmt = (
            insert_for(self._session)(table)
            .on_conflict_do_nothing(index_elements=["subscription_id", "event_id"])
            .returning(table.c.id)
        )
        return [row[0] for row in (await self._session.exec(stmt, params=list(rows))).all()]

    async def due_candidates(
        self, now: datetime, *, per_subscription: int, exclude: Collection[UUID], limit: int
    ) -> list[tuple[UUID, UUID]]:
        """(delivery, subscription) of due deliveries to active endpoints, at most per_subscription of each."""
        rank = (
            func.row_number()
            .over(
                partition_by=col(Delivery.subscription_id), order_by=(col(Delivery.next_attempt_at), col(Delivery.id))
            )
            .label("rank")
        )
        due = (
            select(Delivery.id, Delivery.subscription_id, Delivery.next_attempt_at, rank)
            .join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
            .where(
                Delivery.status == DeliveryStatus.PENDING,
                col(Delivery.next_attempt_at) <= now,
                Subscription.status == SubscriptionStatus.ACTIVE,
            )
        )
        if exclude:
            due = due.where(col(Delivery.subscription_id).not_in(exclude))
        ranked = due.subquery()
        result = await self._session.exec(
            select(ranked.c.id, ranked.c.subscription_id)  # type: ignore[call-overload]
            .where(ranked.c.rank <= per_subscription)
            .order_by(ranked.c.next_attempt_at, ranked.c.id)
            .limit(limit)
        )
        return [(row[0], row[1]) for row in result.all()]

    async def lease(self, ids: Collection[UUID], now: datetime, until: datetime) -> Sequence[Delivery]:
        """Move due deliveries' next attempt to `until`, so no other dispatcher takes them meanwhile.

        The condition is checked again row by row: of two dispatchers leasing the same row, the
        second finds it no longer due (PostgreSQL re-reads an updated row under READ COMMITTED).
        """
        if not ids:
            return []
        result = await self._session.exec(
            update(Delivery)
            .where(
                col(Delivery.id).in_(ids),
                col(Delivery.status) == DeliveryStatus.PENDING,
                col(Delivery.next_attempt_at) <= now,
            )
            .values(next_attempt_at=until)
            .returning(Delivery)  # type: ignore[arg-type]
        )
        leased = [row[0] for row in result.all()]
        for delivery in leased:
            self._session.expunge(delivery)
        return leased

    async def add_attempts(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self._session.exec(insert(DeliveryAttempt), params=list(rows))  # type: ignore[call-overload]

    async def mark_delivered(self, rows: Sequence[dict[str, Any]], now: datetime) -> None:
        """Deliveries delivered (rows of delivery_id, status_code), one statement for them all."""
        if not rows:
            return
        table = Delivery.__table__  # type: ignore[attr-defined]
        stmt = (
            update(table)
            .where(table.c.id == bindparam("delivery_id"))
            .values(
                status=DeliveryStatus.DELIVERED.value,
                delivered_at=now,
                attempts=table.c.attempts + 1,
                last_status_code=bindparam("status_code"),
                last_error=None,
            )
        )
        await self._session.exec(stmt, params=list(rows))  # type: ignore[call-overload]

    async def get_delivery(
        self, tenant_id: str, delivery_id: UUID, *, partner_id: UUID | None = None, for_update: bool = False
    ) -> Delivery | None:
        query = select(Delivery).where(Delivery.tenant_id == tenant_id, Delivery.id == delivery_id)
        if partner_id is not None:
            query = query.where(Delivery.partner_id == partner_id)
        if for_update:
            query = query.with_for_update()
        return (await self._session.exec(query)).first()

    async def list_deliveries(
        self,
        tenant_id: str,
        partner_id: UUID,
        *,
        subscription_id: UUID | None,
        status: str | None,
        before: UUID | None,
        limit: int,
    ) -> Sequence[Delivery]:
        query = select(Delivery).where(Delivery.tenant_id == tenant_id, Delivery.partner_id == partner_id)
        if subscription_id is not None:
            query = query.where(Delivery.subscription_id == subscription_id)
        if status is not None:
            query = query.where(Delivery.status == status)
        if before is not None:
            query = query.where(col(Delivery.id) < before)
        return (await self._session.exec(query.order_by(col(Delivery.id).desc()).limit(limit))).all()

    async def attempts_of(self, tenant_id: str, delivery_ids: Collection[UUID]) -> Sequence[DeliveryAttempt]:
        if not delivery_ids:
            return []
        result = await self._session.exec(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.tenant_id == tenant_id, col(DeliveryAttempt.delivery_id).in_(delivery_ids))
            .order_by(col(DeliveryAttempt.id))
        )
        return result.all()

    async def project_enterprises(self, rows: Sequence[dict[str, Any]]) -> None:
        """Take each enterprise's region from the newest event that told it."""
        for statement in standing_rows(rows, key=("tenant_id", "enterprise_id"), newer="as_of"):
            await upsert_many(
                self._session,
                WebhookEnterprise,
                statement,
                key=("tenant_id", "enterprise_id"),
                only_if=lambda table, excluded: table.c.as_of <= excluded.as_of,
            )

    async def regions_of(self, tenant_id: str, enterprise_ids: Collection[UUID]) -> dict[UUID, str | None]:
        result = await self._session.exec(
            select(WebhookEnterprise.enterprise_id, WebhookEnterprise.region_code).where(
                WebhookEnterprise.tenant_id == tenant_id, col(WebhookEnterprise.enterprise_id).in_(enterprise_ids)
            )
        )
        return {row[0]: row[1] for row in result.all()}

    async def types_of(self, tenant_id: str, record_ids: Collection[UUID]) -> dict[UUID, str]:
        """Records' types, from the deadlines context's projection of every published record."""
        if not record_ids:
            return {}
        result = await self._session.exec(
            select(TrackedRecord.record_id, TrackedRecord.record_type).where(
                TrackedRecord.tenant_id == tenant_id, col(TrackedRecord.record_id).in_(record_ids)
            )
        )
        return {row[0]: row[1] for row in result.all()}
