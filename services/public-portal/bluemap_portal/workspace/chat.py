"""Live Chat (在线咨询) pages: the enterprise's conversation in the workspace, the staff's in the console.

Both work as plain forms with reload; a small inline script (allowed by a per-page nonce) adds new
messages as they arrive through the portal's server-sent events route.
"""

import secrets
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import HTMLResponse, Response

from bluemap_portal.site.app import CONTENT_SECURITY_POLICY
from bluemap_portal.workspace.backend import Backend
from bluemap_portal.workspace.menu import MENU
from bluemap_portal.workspace.rendering import render_page, see_other
from bluemap_portal.workspace.session import (
    CSRF_FIELD,
    EnterpriseBackend,
    EnterpriseSession,
    OperatorBackend,
    OperatorSession,
    check_csrf,
)

router = APIRouter()

MAX_BODY = 4000


def _with_script(request: Request, template: str, **context: Any) -> HTMLResponse:
    """The page with a nonce for its one inline script and its own event stream allowed."""
    nonce = secrets.token_urlsafe(16)
    response = render_page(request, template, nonce=nonce, **context)
    response.headers["Content-Security-Policy"] = (
        f"{CONTENT_SECURITY_POLICY}; script-src 'nonce-{nonce}'; connect-src 'self'"
    )
    return response


async def _thread(backend: Backend, conversation_id: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = await backend.get("notifications", f"/v1/conversations/{conversation_id}/messages")
    return messages


@router.get("/workspace/help/live-chat", response_class=HTMLResponse)
async def live_chat(request: Request, user: EnterpriseSession, backend: EnterpriseBackend) -> HTMLResponse:
    """Live Chat: the enterprise's latest conversation with the staff and a form to write in it."""
    conversations = await backend.get("notifications", "/v1/conversations", limit=1)
    conversation = conversations[0] if conversations else None
    messages = await _thread(backend, conversation["id"]) if conversation else []
    return _with_script(
        request,
        "workspace/live_chat.html",
        conversation=conversation,
        messages=messages,
        stream_url=f"/workspace/help/live-chat/{conversation['id']}/stream" if conversation else None,
        menu=MENU,
        active="",
    )


@router.post("/workspace/help/live-chat")
async def ask(
    request: Request,
    user: EnterpriseSession,
    backend: EnterpriseBackend,
    body: str = Form(default="", max_length=MAX_BODY),
    conversation_id: UUID | None = Form(default=None),
    csrf_token: str = Form(default="", alias=CSRF_FIELD),
) -> Response:
    """Write to the staff: in the conversation on the page, or in a new one."""
    check_csrf(request, csrf_token)
    if body.strip():
        if conversation_id is None:
            await backend.post("notifications", "/v1/conversations", {"body": body})
        else:
            await backend.post("notifications", f"/v1/conversations/{conversation_id}/messages", {"body": body})
    return see_other(request, "/workspace/help/live-chat", fragment="chat-form")


@router.get("/workspace/help/live-chat/{conversation_id}/stream")
async def enterprise_stream(
    conversation_id: UUID,
    user: EnterpriseSession,
    backend: EnterpriseBackend,
    after: int = 0,
    last_event_id: str | None = Header(default=None),
) -> Response:
    """New messages of the conversation as server-sent events, with the user's token."""
    return await backend.event_stream(
        "notifications",
        f"/v1/conversations/{conversation_id}/stream",
        params={"after": str(after)},
        last_event_id=last_event_id,
    )


@router.get("/console/chat", response_class=HTMLResponse)
async def console_chats(request: Request, user: OperatorSession, backend: OperatorBackend) -> HTMLResponse:
    """Every conversation of the tenant, latest activity first; those waiting for an answer marked."""
    conversations = await backend.get("notifications", "/v1/conversations", limit=200)
    return render_page(request, "console/chats.html", conversations=conversations)


@router.get("/console/chat/{conversation_id}", response_class=HTMLResponse)
async def console_chat(
    conversation_id: UUID, request: Request, user: OperatorSession, backend: OperatorBackend
) -> HTMLResponse:
    """One conversation and the form to answer it."""
    conversation = await backend.get("notifications", f"/v1/conversations/{conversation_id}")
    messages = await _thread(backend, str(conversation_id))
    return _with_script(
        request,
        "console/chat.html",
        conversation=conversation,
        messages=messages,
        stream_url=f"/console/chat/{conversation_id}/stream",
    )


@router.post("/console/chat/{conversation_id}")
async def answer(
    conversation_id: UUID,
    request: Request,
    user: OperatorSession,
    backend: OperatorBackend,
    body: str = Form(default="", max_length=MAX_BODY),
    csrf_token: str = Form(default="", alias=CSRF_FIELD),
) -> Response:
    """Answer the enterprise."""
    check_csrf(request, csrf_token)
    if body.strip():
        await backend.post("notifications", f"/v1/conversations/{conversation_id}/messages", {"body": body})
    return see_other(request, f"/console/chat/{conversation_id}", fragment="chat-form")


@router.get("/console/chat/{conversation_id}/stream")
async def console_stream(
    conversation_id: UUID,
    user: OperatorSession,
    backend: OperatorBackend,
    after: int = 0,
    last_event_id: str | None = Header(default=None),
) -> Response:
    return await backend.event_stream(
        "notifications",
        f"/v1/conversations/{conversation_id}/stream",
        params={"after": str(after)},
        last_event_id=last_event_id,
    )
