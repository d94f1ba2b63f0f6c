"""Chat queries, scoped by tenant except the unanswered scan, which serves every tenant."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.chat.models import ChatMessage, Conversation


class ChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, conversation_id: UUID, *, lock: bool = False) -> Conversation | None:
        query = select(Conversation).where(Conversation.tenant_id == tenant_id, Conversation.id == conversation_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.exec(query)).first()

    async def list(self, tenant_id: str, enterprise_id: UUID | None, *, limit: int) -> Sequence[Conversation]:
        query = select(Conversation).where(Conversation.tenant_id == tenant_id)
        if enterprise_id is not None:
            query = query.where(Conversation.enterprise_id == enterprise_id)
        query = query.order_by(col(Conversation.last_message_at).desc().nulls_last(), col(Conversation.id).desc())
        return (await self.session.exec(query.limit(limit))).all()

    async def messages(self, tenant_id: str, conversation_id: UUID, *, after: int, limit: int) -> Sequence[ChatMessage]:
        result = await self.session.exec(
            select(ChatMessage)
            .where(
                ChatMessage.tenant_id == tenant_id,
                ChatMessage.conversation_id == conversation_id,
                col(ChatMessage.id) > after,
            )
            .order_by(col(ChatMessage.id))
            .limit(limit)
        )
        return result.all()

    async def claim_unanswered(self, before: datetime, *, limit: int) -> Sequence[Conversation]:
        """Lock conversations waiting for staff since before, not alerted yet; rows others hold are skipped."""
        result = await self.session.exec(
            select(Conversation)
            .where(
                col(Conversation.awaiting_since) <= before,
                col(Conversation.alerted_at).is_(None),
            )
            .order_by(col(Conversation.awaiting_since))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return result.all()
