"""Live Chat on real PostgreSQL and Mailpit: conversations, scope, the SSE stream over HTTP, the staff alert."""

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from uuid import uuid4

import httpx
import pytest
import uvicorn
from notifications_testing import ISSUER, Start, register_enterprise
from sqlmodel import select

from bluemap_notifications.bootstrap import NotificationsService
from bluemap_notifications.chat.models import Conversation
from bluemap_notifications.chat.schemas import MAX_MESSAGE_ID
from bluemap_notifications.emails.models import Email
from bluemap_shared.auth import ADMIN
from bluemap_shared.db import utcnow
from bluemap_shared.testing import Mailpit

pytestmark = pytest.mark.integration


def api(svc: NotificationsService) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.app), base_url="http://notifications")


@asynccontextmanager
async def served(svc: NotificationsService) -> AsyncIterator[str]:
    """The service's app on a real HTTP server: the in-memory transport buffers whole responses."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(svc.app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):  # up to 10 s
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def test_an_enterprise_asks_and_staff_answer_in_scope(start: Start) -> None:
    enterprise_id = uuid4()
    staff_of_it = ISSUER.staff("ipe", enterprise_id)
    other_enterprise = ISSUER.staff("ipe", uuid4())
    operator = ISSUER.headers("ipe", [ADMIN])
    other_tenant = ISSUER.headers("other", [ADMIN])
    brand = ISSUER.headers("ipe", ["brand"])
    async with start() as svc, api(svc) as client:
        opened = await client.post("/v1/conversations", json={"body": "如何上传整改报告？"}, headers=staff_of_it)
        assert opened.status_code == 201, opened.text
        conversation = opened.json()
        assert conversation["enterprise_id"] == str(enterprise_id)
        assert conversation["awaiting_since"] is not None
        path = f"/v1/conversations/{conversation['id']}"

        answer = await client.post(f"{path}/messages", json={"body": "在信息公开页面上传。"}, headers=operator)
        assert answer.status_code == 201, answer.text
        messages = (await client.get(f"{path}/messages", headers=staff_of_it)).json()
        assert [(m["role"], m["body"]) for m in messages] == [
            ("enterprise", "如何上传整改报告？"),
            ("staff", "在信息公开页面上传。"),
        ]
        assert (await client.get(f"{path}/messages", params={"after": messages[0]["id"]}, headers=operator)).json() == [
            messages[1]
        ]
        assert (await client.get(path, headers=staff_of_it)).json()["awaiting_since"] is None

        assert [c["id"] for c in (await client.get("/v1/conversations", headers=operator)).json()] == [
            conversation["id"]
        ]
        assert (await client.get("/v1/conversations", headers=other_enterprise)).json() == []
        assert (await client.get("/v1/conversations", headers=other_tenant)).json() == []
        for headers in (other_enterprise, other_tenant):
            assert (await client.get(f"{path}/messages", headers=headers)).status_code == 404
            refused = await client.post(f"{path}/messages", json={"body": "x"}, headers=headers)
            assert refused.status_code == 404
        assert (await client.get("/v1/conversations", headers=brand)).status_code == 403
        assert (await client.post("/v1/conversations", json={}, headers=operator)).status_code == 422
        assert (await client.post(f"{path}/messages", json={"body": ""}, headers=operator)).status_code == 422


async def test_the_stream_delivers_a_message_posted_after_connecting(start: Start) -> None:
    enterprise_id = uuid4()
    staff_of_it = ISSUER.staff("ipe", enterprise_id)
    operator = ISSUER.headers("ipe", [ADMIN])
    async with (
        start(chat_stream_poll=0.1) as svc,
        served(svc) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
    ):
        opened = await client.post("/v1/conversations", json={"body": "第一条"}, headers=staff_of_it)
        path = f"/v1/conversations/{opened.json()['id']}"
        first = (await client.get(f"{path}/messages", headers=staff_of_it)).json()[0]["id"]

        async with client.stream(
            "GET", f"{path}/stream", headers=staff_of_it | {"Last-Event-ID": str(first)}
        ) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            posted = await client.post(f"{path}/messages", json={"body": "请稍等，我们在查。"}, headers=operator)
            assert posted.status_code == 201

            async def next_message() -> dict[str, object]:
                event: dict[str, str] = {}
                async for line in stream.aiter_lines():
                    if line == "" and "data" in event:
                        return {"sse_id": event["id"], "event": event["event"], **json.loads(event["data"])}
                    if ":" in line and not line.startswith(":"):
                        key, _, value = line.partition(":")
                        event[key] = value.strip()
                raise AssertionError("the stream ended")

            received = await asyncio.wait_for(next_message(), timeout=5)
        assert received["event"] == "message"
        assert received["body"] == "请稍等，我们在查。"
        assert received["role"] == "staff"
        assert received["sse_id"] == str(posted.json()["id"])

        refused = await client.get(f"{path}/stream", headers=ISSUER.staff("ipe", uuid4()))
        assert refused.status_code == 404


async def test_an_unanswered_question_is_emailed_to_the_staff_once(start: Start, mailpit: Mailpit) -> None:
    staff_address = f"staff-{uuid4().hex[:12]}@example.org"
    enterprise = ISSUER.staff("ipe", uuid4())
    async with start(staff_email=staff_address, chat_unanswered_minutes=10) as svc, api(svc) as client:
        opened = await client.post("/v1/conversations", json={"body": "有人吗？"}, headers=enterprise)
        conversation_id = opened.json()["id"]
        assert await svc.chat_alerts.run_due() == 0  # not ten minutes yet

        async with svc.runtime.sessionmaker() as session, session.begin():
            row = (await session.exec(select(Conversation).where(Conversation.id == opened.json()["id"]))).one()
            row.awaiting_since = utcnow() - timedelta(minutes=11)
            session.add(row)
        more = await client.post(
            f"/v1/conversations/{conversation_id}/messages", json={"body": "？"}, headers=enterprise
        )
        assert more.status_code == 201  # a second question does not restart the wait

        assert await svc.chat_alerts.run_due() == 1
        assert await svc.chat_alerts.run_due() == 0
        found = await mailpit.wait_for(staff_address)
        message = await mailpit.message(found[0]["ID"])
        assert "在线咨询" in message["Subject"]
        assert f"https://portal.example.org/console/chat/{conversation_id}" in message["Text"]
        await svc.dispatcher.dispatch_due()
        assert len(await mailpit.messages(staff_address)) == 1
        async with svc.runtime.sessionmaker() as session:
            emails = (await session.exec(select(Email).where(Email.purpose == "chat-unanswered"))).all()
        assert [e.recipients for e in emails] == [[staff_address]]


async def test_staff_open_conversations_only_with_enterprises_of_their_tenant(start: Start) -> None:
    mine, theirs = uuid4(), uuid4()
    operator = ISSUER.headers("ipe", [ADMIN])
    async with start() as svc, api(svc) as client:
        await register_enterprise(svc, mine)
        await register_enterprise(svc, theirs, tenant="other")
        for enterprise_id in (theirs, uuid4()):
            refused = await client.post(
                "/v1/conversations", json={"enterprise_id": str(enterprise_id)}, headers=operator
            )
            assert refused.status_code == 404, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
        assert (await client.get("/v1/conversations", headers=operator)).json() == []
        opened = await client.post("/v1/conversations", json={"enterprise_id": str(mine)}, headers=operator)
        assert opened.status_code == 201, opened.text


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        pytest.param({"after": "9223372036854775808"}, {}, id="after-past-bigint"),
        pytest.param({"after": str(MAX_MESSAGE_ID + 1)}, {}, id="after-past-the-column"),
        pytest.param({"after": "9" * 5000}, {}, id="after-5000-digits"),
        pytest.param({}, {"Last-Event-ID": "9" * 5000}, id="last-event-id-5000-digits"),
        pytest.param({}, {"Last-Event-ID": str(MAX_MESSAGE_ID + 1)}, id="last-event-id-past-the-column"),
        pytest.param({}, {"Last-Event-ID": "-1"}, id="last-event-id-negative"),
    ],
)
async def test_out_of_range_cursors_are_422(start: Start, params: dict[str, str], headers: dict[str, str]) -> None:
    staff_of_it = ISSUER.staff("ipe", uuid4())
    async with start() as svc, api(svc) as client:
        opened = await client.post("/v1/conversations", json={"body": "问"}, headers=staff_of_it)
        path = f"/v1/conversations/{opened.json()['id']}"
        for endpoint in ("messages", "stream") if not headers else ("stream",):
            response = await client.get(f"{path}/{endpoint}", params=params, headers=staff_of_it | headers)
            assert response.status_code == 422, (endpoint, response.text[:200])
            assert response.headers["content-type"] == "application/problem+json"
        largest = await client.get(f"{path}/messages", params={"after": str(MAX_MESSAGE_ID)}, headers=staff_of_it)
        assert largest.status_code == 200
        assert largest.json() == []
