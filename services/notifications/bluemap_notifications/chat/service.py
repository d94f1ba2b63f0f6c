"""Live Chat use cases; the caller's transaction commits them."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.chat.models import AuthorRole, ChatMessage, Conversation
from bluemap_notifications.chat.repository import ChatRepository
from bluemap_notifications.contacts.service import get_contact, require_enterprise
from bluemap_notifications.emails.branding import tenant_profiles
from bluemap_notifications.emails.models import Email
from bluemap_notifications.emails.rendering import CLOSING_EN, CLOSING_ZH, Section, compose
from bluemap_notifications.emails.service import queue_to_addresses
from bluemap_shared.auth import ENTERPRISE, Principal
from bluemap_shared.db import utcnow
from bluemap_shared.ids import uuid7
from bluemap_shared.problems import Forbidden, InvalidInput, NotFound

log = structlog.get_logger()

CHAT_UNANSWERED = "chat-unanswered"
MAX_PAGE = 500


def role_of(principal: Principal) -> AuthorRole:
    """Operators answer as staff; enterprise users ask for their enterprise; nobody else chats."""
    if principal.is_operator:
        return AuthorRole.STAFF
    if ENTERPRISE in principal.roles and principal.enterprise_id is not None:
        return AuthorRole.ENTERPRISE
    raise Forbidden("Live Chat is for enterprise accounts and the operator's staff.")


async def get_conversation(
    session: AsyncSession, principal: Principal, conversation_id: UUID, *, lock: bool = False
) -> Conversation:
    """A conversation the caller may read: operators any of their tenant, enterprise users their own."""
    role = role_of(principal)
    found = await ChatRepository(session).get(principal.tenant_id, conversation_id, lock=lock)
    if found is None or (role is AuthorRole.ENTERPRISE and found.enterprise_id != principal.enterprise_id):
        raise NotFound("No such conversation.")
    return found


async def open_conversation(
    session: AsyncSession, principal: Principal, *, enterprise_id: UUID | None, body: str | None
) -> Conversation:
    role = role_of(principal)
    if role is AuthorRole.ENTERPRISE:
        if enterprise_id not in (None, principal.enterprise_id):
            raise Forbidden("You can open conversations for your own enterprise only.")
        enterprise_id = principal.enterprise_id
    elif enterprise_id is None:
        raise InvalidInput("Name the enterprise of the conversation.")
    else:
        # Staff name the enterprise: it must be one of their tenant, never an id from another tenant.
        await require_enterprise(session, principal.tenant_id, enterprise_id)
    assert enterprise_id is not None
    conversation = Conversation(tenant_id=principal.tenant_id, enterprise_id=enterprise_id, opened_by=principal.subject)
    session.add(conversation)
    await session.flush()
    log.info("chat.opened", conversation_id=str(conversation.id), role=role.value)
    if body:
        await _append(session, conversation, principal, role, body)
    return conversation


async def post_message(session: AsyncSession, principal: Principal, conversation_id: UUID, body: str) -> ChatMessage:
    # The lock orders the messages of a conversation: ids are allocated and committed in one order,
    # so a reader asking for ids after the last it saw never skips one.
    conversation = await get_conversation(session, principal, conversation_id, lock=True)
    return await _append(session, conversation, principal, role_of(principal), body)


async def _append(
    session: AsyncSession, conversation: Conversation, principal: Principal, role: AuthorRole, body: str
) -> ChatMessage:
    text = body.strip()
    if not text:
        raise InvalidInput("The message is empty.")
    now = utcnow()
    message = ChatMessage(
        tenant_id=conversation.tenant_id,
        conversation_id=conversation.id,
        author=principal.subject,
        author_name=principal.name,
        role=role.value,
        body=text,
        created_at=now,
    )
    session.add(message)
    conversation.last_message_at = now
    if role is AuthorRole.STAFF:
        conversation.awaiting_since = None
        conversation.awaiting_id = None
        conversation.alerted_at = None
    elif conversation.awaiting_since is None:
        conversation.awaiting_since = now
        conversation.awaiting_id = uuid7()
    session.add(conversation)
    await session.flush()
    log.info("chat.message_posted", conversation_id=str(conversation.id), message_id=message.id, role=role.value)
    return message


async def list_conversations(session: AsyncSession, principal: Principal, *, limit: int) -> Sequence[Conversation]:
    role = role_of(principal)
    enterprise_id = principal.enterprise_id if role is AuthorRole.ENTERPRISE else None
    return await ChatRepository(session).list(principal.tenant_id, enterprise_id, limit=limit)


async def list_messages(
    session: AsyncSession, principal: Principal, conversation_id: UUID, *, after: int, limit: int = MAX_PAGE
) -> Sequence[ChatMessage]:
    await get_conversation(session, principal, conversation_id)
    return await ChatRepository(session).messages(principal.tenant_id, conversation_id, after=after, limit=limit)


async def messages_after(
    session: AsyncSession, tenant_id: str, conversation_id: UUID, *, after: int
) -> Sequence[ChatMessage]:
    """The stream's poll; access was checked when the stream opened."""
    return await ChatRepository(session).messages(tenant_id, conversation_id, after=after, limit=MAX_PAGE)


async def alert_unanswered(
    session: AsyncSession, *, now: datetime, minutes: float, staff_email: str, portal_base_url: str, limit: int = 50
) -> list[Email]:
    """Email the staff about each conversation waiting longer than minutes; each wait is emailed once."""
    queued = []
    for conversation in await ChatRepository(session).claim_unanswered(now - timedelta(minutes=minutes), limit=limit):
        conversation.alerted_at = now
        session.add(conversation)
        if conversation.awaiting_id is None:
            continue
        contact = await get_contact(session, conversation.tenant_id, conversation.enterprise_id)
        name = contact.name if contact else str(conversation.enterprise_id)
        link = f"{portal_base_url.rstrip('/')}/console/chat/{conversation.id}"
        waited = int(minutes)
        rendered = compose(
            f"【蔚蓝地图】在线咨询未回复：{name} / Blue Map: unanswered Live Chat – {name}",
            Section(
                "zh",
                "您好：",
                intro=[f"{name}在在线咨询中的提问已超过{waited}分钟未获回复。"],
                links=[("回复", link)],
                closing=CLOSING_ZH,
            ),
            Section(
                "en",
                "Hello,",
                intro=[f"A Live Chat question of {name} has waited more than {waited} minutes for an answer."],
                links=[("Answer it", link)],
                closing=CLOSING_EN,
            ),
        )
        # The tenant's staff address, else the platform's; with neither there is no one to tell.
        profile = (await tenant_profiles(session, [conversation.tenant_id])).get(conversation.tenant_id)
        recipient = (profile.staff_email if profile else None) or staff_email
        if not recipient:
            continue
        email = await queue_to_addresses(
            session,
            tenant_id=conversation.tenant_id,
            purpose=CHAT_UNANSWERED,
            cause_id=conversation.awaiting_id,
            rendered=rendered,
            recipients=[recipient],
            enterprise_id=None,
        )
        if email is not None:
            queued.append(email)
    return queued
