"""Email queries; tenant-scoped except the dispatcher's claim, which serves every tenant."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.emails.models import Email, EmailAttachment, EmailStatus
from bluemap_shared.db import insert_for, insert_ignore


class EmailRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, email_id: UUID) -> Email | None:
        result = await self.session.exec(select(Email).where(Email.tenant_id == tenant_id, Email.id == email_id))
        return result.first()

    async def list(
        self, tenant_id: str, *, status: str | None, purpose: str | None, before: UUID | None, limit: int
    ) -> Sequence[Email]:
        query = select(Email).where(Email.tenant_id == tenant_id)
        if status is not None:
            query = query.where(Email.status == status)
        if purpose is not None:
            query = query.where(Email.purpose == purpose)
        if before is not None:
            query = query.where(col(Email.id) < before)
        # uuid7 ids are time-ordered: descending id is newest first.
        result = await self.session.exec(query.order_by(col(Email.id).desc()).limit(limit))
        return result.all()

    async def add_if_new(self, email: Email) -> bool:
        """Insert unless this tenant already has an email for the same purpose and cause."""
        inserted: bool = await insert_ignore(
            self.session, Email, email.model_dump(), ("tenant_id", "purpose", "cause_event_id")
        )
        return inserted

    async def add_many_if_new(self, emails: Sequence[Email]) -> set[UUID]:
        """Insert, in one statement, the emails whose purpose and cause have none yet; the ids inserted."""
        if not emails:
            return set()
        table = Email.__table__  # type: ignore[attr-defined]
        stmt = (
            insert_for(self.session)(table)
            .values([email.model_dump() for email in emails])
            .on_conflict_do_nothing(index_elements=["tenant_id", "purpose", "cause_event_id"])
            .returning(table.c.id)
        )
        return set((await self.session.exec(stmt)).scalars())  # type: ignore[call-overload]

    async def claim_due(self, now: datetime, *, limit: int) -> Sequence[Email]:
        """Lock up to limit due pending emails of any tenant; rows another process holds are skipped."""
        query = (
            select(Email)
            .where(Email.status == EmailStatus.PENDING, col(Email.next_attempt_at) <= now)
            .order_by(col(Email.next_attempt_at), col(Email.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self.session.exec(query)
        return result.all()

    async def attachments_of(self, tenant_id: str, email_id: UUID) -> Sequence[EmailAttachment]:
        result = await self.session.exec(
            select(EmailAttachment)
            .where(EmailAttachment.tenant_id == tenant_id, EmailAttachment.email_id == email_id)
            .order_by(col(EmailAttachment.id))
        )
        return result.all()
