"""Deadline queries; tenant-scoped except the scheduler's, which serve every tenant."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.deadlines.models import DeadlineReminder, ReminderStatus, TrackedRecord
from bluemap_shared.db import insert_ignore_many, upsert_many

# Lifecycle columns only events about the lifecycle change; content events leave them alone.
LIFECYCLE = ("status", "status_changed_at", "retracted_at")


class TrackedRecordRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, record_id: UUID) -> TrackedRecord | None:
        result = await self.session.exec(
            select(TrackedRecord).where(TrackedRecord.tenant_id == tenant_id, TrackedRecord.record_id == record_id)
        )
        return result.first()

    async def upsert_published(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert newly published records (distinct keys); a redelivery refreshes content only while no update came."""

        def not_updated_since(table: Any, _proposed: Any) -> Any:
            return table.c.revision == 0

        await upsert_many(
            self.session,
            TrackedRecord,
            rows,
            key=("tenant_id", "record_id"),
            keep=(*LIFECYCLE, "revision"),
            only_if=not_updated_since,
        )

    async def upsert_updated(self, rows: Sequence[dict[str, Any]]) -> None:
        """Take content revisions (distinct keys) unless a later one is stored already."""

        def later_revision(table: Any, proposed: Any) -> Any:
            return table.c.revision < proposed.revision

        await upsert_many(
            self.session, TrackedRecord, rows, key=("tenant_id", "record_id"), keep=LIFECYCLE, only_if=later_revision
        )

    async def retract(self, tenant_id: str, record_id: UUID, retracted_at: datetime) -> None:
        await self.session.exec(
            update(TrackedRecord)
            .where(
                col(TrackedRecord.tenant_id) == tenant_id,
                col(TrackedRecord.record_id) == record_id,
                col(TrackedRecord.retracted_at).is_(None),
            )
            .values(retracted_at=retracted_at)
        )

    async def change_status(
        self, tenant_id: str, record_id: UUID, status: str, changed_at: datetime, *, due_on: date | None = None
    ) -> bool:
        """Set the status (and a new deadline) unless a later change is stored already (redeliveries, replays)."""
        values: dict[str, Any] = {"status": status, "status_changed_at": changed_at}
        if due_on is not None:
            values["explanation_due_on"] = due_on
        result = await self.session.exec(
            update(TrackedRecord)
            .where(
                col(TrackedRecord.tenant_id) == tenant_id,
                col(TrackedRecord.record_id) == record_id,
                or_(
                    col(TrackedRecord.status_changed_at).is_(None),
                    col(TrackedRecord.status_changed_at) <= changed_at,
                ),
            )
            .values(**values)
        )
        return bool(result.rowcount)


class ReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_all_if_new(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert the reminders but those of a deadline that has them already; how many were new."""
        return await insert_ignore_many(
            self.session, DeadlineReminder, rows, ("tenant_id", "record_id", "kind", "due_on")
        )

    async def expire_passed(self, today: date, now: datetime) -> int:
        """Close every scheduled reminder of every tenant whose deadline has passed; how many."""
        result = await self.session.exec(
            update(DeadlineReminder)
            .where(col(DeadlineReminder.status) == ReminderStatus.SCHEDULED, col(DeadlineReminder.due_on) < today)
            .values(status=ReminderStatus.EXPIRED, decided_at=now)
        )
        return int(result.rowcount or 0)

    async def claim_due(self, today: date, *, limit: int) -> Sequence[DeadlineReminder]:
        """Lock up to limit due reminders of any tenant; rows another replica holds are skipped."""
        result = await self.session.exec(
            select(DeadlineReminder)
            .where(DeadlineReminder.status == ReminderStatus.SCHEDULED, col(DeadlineReminder.remind_on) <= today)
            .order_by(col(DeadlineReminder.remind_on), col(DeadlineReminder.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return result.all()
