"""Digest queries: set-based writes for the handlers, a SKIP LOCKED claim for the closer."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import or_, true, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.digests.models import DigestItem, RecordDigest
from bluemap_shared.db import insert_for

ITEM_KEY = ("tenant_id", "audience", "recipient_id", "record_id")
WINDOW_KEY = ("tenant_id", "audience", "recipient_id", "import_id")
_OPEN = col(RecordDigest.closed_at).is_(None)
WINDOW_COLUMNS = ("last_item_at", "recipients", "enterprise_name", "enterprise_name_en")  # what a new item refreshes


class DigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_items(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        """Insert the items no recipient has yet (ON CONFLICT DO NOTHING); the inserted ones' keys, in order."""
        if not rows:
            return []
        table = DigestItem.__table__  # type: ignore[attr-defined]
        # Compiled once, the rows as parameters: SQLAlchemy sends them as multi-row VALUES batches.
        stmt = (
            insert_for(self.session)(table)
            .on_conflict_do_nothing(index_elements=list(ITEM_KEY))
            .returning(table.c.id, *(table.c[name] for name in WINDOW_KEY), table.c.cause_event_id)
        )
        inserted = (await self.session.exec(stmt, params=list(rows))).all()  # type: ignore[call-overload]
        return sorted(inserted, key=lambda row: row.id)

    async def open_windows(self, rows: Sequence[dict[str, Any]]) -> None:
        """Open each recipient's window, or join the open one: it stays open while items keep arriving."""
        table = RecordDigest.__table__  # type: ignore[attr-defined]
        # One lock order for every transaction: two batches touching the same windows never deadlock.
        ordered = sorted(rows, key=lambda row: tuple(str(row[name]) for name in WINDOW_KEY))
        if not ordered:
            return
        stmt = insert_for(self.session)(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(WINDOW_KEY),
            index_where=_OPEN,
            set_={
                name: stmt.excluded[name]
                for name in ("last_item_at", "recipients", "enterprise_name", "enterprise_name_en")
            },
        )
        await self.session.exec(stmt, params=ordered)  # type: ignore[call-overload]

    async def claim_due(
        self, *, quiet_before: datetime, opened_before: datetime, limit: int, skip: Collection[UUID] = ()
    ) -> Sequence[RecordDigest]:
        """Lock up to limit open windows gone quiet or at their longest; rows another replica holds are skipped."""
        query = (
            select(RecordDigest)
            .where(
                _OPEN,
                or_(
                    col(RecordDigest.last_item_at) <= quiet_before,
                    col(RecordDigest.opened_at) <= opened_before,
                ),
            )
            .where(col(RecordDigest.id).not_in(list(skip)) if skip else true())
            .order_by(col(RecordDigest.last_item_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.exec(query)).all()

    async def claim_items(self, digest_ids: Sequence[UUID]) -> None:
        """Give each window's unclaimed items to its digest being closed, in one statement."""
        if not digest_ids:
            return
        await self.session.exec(
            update(DigestItem)  # type: ignore[call-overload]
            .where(
                col(RecordDigest.id).in_(list(digest_ids)),
                *(getattr(DigestItem, name) == getattr(RecordDigest, name) for name in WINDOW_KEY),
                col(DigestItem.digest_id).is_(None),
            )
            .values(digest_id=RecordDigest.id)
        )

    async def items_of(self, digest_ids: Sequence[UUID]) -> Sequence[DigestItem]:
        """The items of the digests, in the order they arrived."""
        if not digest_ids:
            return []
        result = await self.session.exec(
            select(DigestItem).where(col(DigestItem.digest_id).in_(digest_ids)).order_by(col(DigestItem.id))
        )
        return result.all()
