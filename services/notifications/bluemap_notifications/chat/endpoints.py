"""Live Chat API: conversations, their messages, and a server-sent events stream of new messages."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import StreamingResponse

from bluemap_notifications.chat import service
from bluemap_notifications.chat.schemas import (
    MAX_MESSAGE_ID,
    ConversationCreate,
    ConversationPublic,
    MessageCreate,
    MessagePublic,
)
from bluemap_shared.auth import CurrentPrincipal
from bluemap_shared.db import SessionMaker
from bluemap_shared.problems import InvalidInput
from bluemap_shared.runtime import ServiceRuntime, SessionDep

router = APIRouter(prefix="/v1/conversations", tags=["chat"])

KEEPALIVE_SECONDS = 15.0
DRAINING_RETRY_MS = 1000

AFTER = Query(default=0, ge=0, le=MAX_MESSAGE_ID, description="Cursor: the last message id already seen")


def parse_last_event_id(value: str | None) -> int:
    """The message id EventSource echoes back; 422 for anything this service never sent."""
    if value is None or value == "":
        return 0
    # Length first: int() of thousands of digits costs time and raises past Python's digit limit.
    if len(value) > len(str(MAX_MESSAGE_ID)) or not value.isascii() or not value.isdigit():
        raise InvalidInput("Last-Event-ID must be a message id.", field="Last-Event-ID")
    parsed = int(value)
    if parsed > MAX_MESSAGE_ID:
        raise InvalidInput("Last-Event-ID must be a message id.", field="Last-Event-ID")
    return parsed


@dataclass(frozen=True)
class StreamSettings:
    stream_poll: float
    stream_max_seconds: float


@router.post("", response_model=ConversationPublic, status_code=status.HTTP_201_CREATED)
async def open_conversation(
    body: ConversationCreate, session: SessionDep, principal: CurrentPrincipal
) -> ConversationPublic:
    """Open a conversation: enterprise users for their enterprise, staff for the enterprise they name."""
    conversation = await service.open_conversation(session, principal, enterprise_id=body.enterprise_id, body=body.body)
    return ConversationPublic.model_validate(conversation)


@router.get("", response_model=list[ConversationPublic])
async def list_conversations(
    session: SessionDep, principal: CurrentPrincipal, limit: int = Query(default=100, ge=1, le=500)
) -> list[ConversationPublic]:
    """Enterprise users: their enterprise's conversations; staff: every one of the tenant. Latest activity first."""
    rows = await service.list_conversations(session, principal, limit=limit)
    return [ConversationPublic.model_validate(c) for c in rows]


@router.get("/{conversation_id}", response_model=ConversationPublic)
async def get_conversation(
    conversation_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> ConversationPublic:
    return ConversationPublic.model_validate(await service.get_conversation(session, principal, conversation_id))


@router.post("/{conversation_id}/messages", response_model=MessagePublic, status_code=status.HTTP_201_CREATED)
async def post_message(
    conversation_id: UUID, body: MessageCreate, session: SessionDep, principal: CurrentPrincipal
) -> MessagePublic:
    """Write in a conversation; a staff answer ends the wait that alerts the staff."""
    return MessagePublic.model_validate(await service.post_message(session, principal, conversation_id, body.body))


@router.get("/{conversation_id}/messages", response_model=list[MessagePublic])
async def list_messages(
    conversation_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    after: int = AFTER,
) -> list[MessagePublic]:
    """Messages in order, after the given id."""
    rows = await service.list_messages(session, principal, conversation_id, after=after)
    return [MessagePublic.model_validate(m) for m in rows]


@router.get("/{conversation_id}/stream", response_class=StreamingResponse)
async def stream_messages(
    conversation_id: UUID,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    after: int = AFTER,
    last_event_id: str | None = Header(default=None),
) -> StreamingResponse:
    """Server-sent events (`event: message`, id = message id) of messages after `after` or Last-Event-ID.

    The stream polls the database, so a message posted through any replica arrives; it ends after a while
    and EventSource reconnects with Last-Event-ID.
    """
    after = max(after, parse_last_event_id(last_event_id))
    conversation = await service.get_conversation(session, principal, conversation_id)
    settings: StreamSettings = request.app.state.chat_stream
    runtime: ServiceRuntime = request.app.state.runtime
    sessionmaker: SessionMaker = runtime.sessionmaker
    tenant_id = conversation.tenant_id

    async def events() -> AsyncIterator[str]:
        cursor = after
        started = last_sent = time.monotonic()
        yield f"retry: {int(settings.stream_poll * 1000)}\n\n"
        while time.monotonic() - started < settings.stream_max_seconds:
            if runtime.draining.is_set():
                # This replica is stopping: reconnect soon, to another one, from the last id sent.
                yield f"retry: {DRAINING_RETRY_MS}\n\n"
                return
            if await request.is_disconnected():
                return
            async with sessionmaker() as poll:
                rows = await service.messages_after(poll, tenant_id, conversation_id, after=cursor)
            for row in rows:
                data = MessagePublic.model_validate(row).model_dump(mode="json")
                yield f"id: {row.id}\nevent: message\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
                cursor = row.id or cursor
                last_sent = time.monotonic()
            if time.monotonic() - last_sent > KEEPALIVE_SECONDS:
                yield ": keepalive\n\n"
                last_sent = time.monotonic()
            await asyncio.sleep(settings.stream_poll)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
