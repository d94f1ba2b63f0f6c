"""Live Chat pages as the browser sees them, with the notifications API answered by a stub."""

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from bluemap_portal.bootstrap import PortalService, bootstrap
from bluemap_portal.settings import PortalSettings
from bluemap_portal.workspace.backend import http_client
from bluemap_portal.workspace.session import SESSION_COOKIE
from bluemap_shared.auth import ADMIN, ENTERPRISE
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.runtime import running
from bluemap_shared.testing import TokenIssuer

API = "http://services.test"
ISSUER = TokenIssuer()
ENTERPRISE_ID = uuid4()


@dataclass
class Chat:
    """The notifications API's conversations in memory, and every request the portal made."""

    conversations: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def add(self, conversation_id: str, role: str, body: str) -> dict[str, Any]:
        message = {
            "id": len(self.messages) + 1,
            "conversation_id": conversation_id,
            "author": "someone",
            "author_name": "",
            "role": role,
            "body": body,
            "created_at": "2026-11-28T10:00:00Z",
        }
        self.messages.append(message)
        return message

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/notifications")
        role = "enterprise" if "enterprise" in request.headers.get("x-test-role", "enterprise") else "staff"
        if path == "/v1/conversations" and request.method == "GET":
            return httpx.Response(200, json=self.conversations)
        if path == "/v1/conversations" and request.method == "POST":
            conversation = {"id": str(uuid4()), "enterprise_id": str(ENTERPRISE_ID), "opened_by": "u"}
            conversation |= {"created_at": "2026-11-28T10:00:00Z", "last_message_at": None, "awaiting_since": None}
            self.conversations.append(conversation)
            self.add(conversation["id"], role, json.loads(request.content)["body"])
            return httpx.Response(201, json=conversation)
        found = re.fullmatch(r"/v1/conversations/([^/]+)(/messages|/stream)?", path)
        if found and found[2] is None:
            return httpx.Response(200, json=next(c for c in self.conversations if c["id"] == found[1]))
        if found and found[2] == "/messages" and request.method == "GET":
            return httpx.Response(200, json=[m for m in self.messages if m["conversation_id"] == found[1]])
        if found and found[2] == "/messages":
            message = self.add(found[1], role, json.loads(request.content)["body"])
            return httpx.Response(201, json=message)
        if found and found[2] == "/stream":
            event = f"id: 9\nevent: message\ndata: {json.dumps(self.messages[-1])}\n\n"
            return httpx.Response(
                200, stream=httpx.ByteStream(event.encode()), headers={"content-type": "text/event-stream"}
            )
        return httpx.Response(404, json={"type": "not-found", "status": 404})


@pytest.fixture
async def portal(tmp_path: Path) -> AsyncIterator[PortalService]:
    settings = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}",
        notifications_api_url=f"{API}/notifications",
        log_json=False,
    )
    svc = bootstrap(settings, InProcessTransport(), token_verifier=ISSUER.verifier)
    async with running(svc.runtime):
        yield svc


def stubbed(portal: PortalService, chat: Chat) -> httpx.AsyncClient:
    async def client() -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(chat.handle)) as stub:
            yield stub

    portal.site.dependency_overrides[http_client] = client
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=portal.site), base_url="http://portal.test")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


async def test_an_enterprise_asks_and_the_staff_answer_in_the_console(portal: PortalService) -> None:
    chat = Chat()
    async with stubbed(portal, chat) as site:
        site.cookies.set(SESSION_COOKIE, ISSUER.token("ipe", [ENTERPRISE], ENTERPRISE_ID, subject="ehs-1"))
        page = await site.get("/workspace/help/live-chat?lang=en")
        assert page.status_code == 200
        assert "Coming soon" not in page.text
        assert "<script" not in page.text  # no conversation yet: nothing to stream

        forged = await site.post("/workspace/help/live-chat", data={"body": "Hello?"})
        assert forged.status_code == 403
        asked = await site.post(
            "/workspace/help/live-chat", data={"body": "如何上传整改报告？", "csrf_token": csrf_of(page.text)}
        )
        assert asked.status_code == 303
        conversation_id = chat.conversations[0]["id"]

        page = await site.get(asked.headers["location"])
        assert "如何上传整改报告？" in page.text
        nonce = re.search(r'<script nonce="([^"]+)"', page.text)
        assert nonce
        assert f"script-src 'nonce-{nonce[1]}'" in page.headers["content-security-policy"]
        assert f'data-stream="/workspace/help/live-chat/{conversation_id}/stream"' in page.text

        again = await site.post(
            "/workspace/help/live-chat",
            data={"body": "<b>还在吗</b>", "conversation_id": conversation_id, "csrf_token": csrf_of(page.text)},
        )
        assert again.status_code == 303
        page = await site.get("/workspace/help/live-chat")
        assert "&lt;b&gt;还在吗&lt;/b&gt;" in page.text

        stream = await site.get(f"/workspace/help/live-chat/{conversation_id}/stream", headers={"Last-Event-ID": "1"})
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert "event: message" in stream.text
        call = [r for r in chat.requests if r.url.path.endswith("/stream")][-1]
        assert call.headers["last-event-id"] == "1"
        assert call.headers["authorization"].startswith("Bearer ")

        site.cookies.set(SESSION_COOKIE, ISSUER.token("ipe", [ADMIN], subject="staff-1"))
        listing = await site.get("/console/chat")
        assert f"/console/chat/{conversation_id}" in listing.text
        thread = await site.get(f"/console/chat/{conversation_id}")
        assert "如何上传整改报告？" in thread.text
        answered = await site.post(
            f"/console/chat/{conversation_id}",
            data={"body": "在信息公开页面上传。", "csrf_token": csrf_of(thread.text)},
        )
        assert answered.status_code == 303
        assert chat.messages[-1]["body"] == "在信息公开页面上传。"


async def test_live_chat_needs_an_enterprise_sign_in(portal: PortalService) -> None:
    async with stubbed(portal, Chat()) as site:
        page = await site.get("/workspace/help/live-chat")
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login")
