"""SIGTERM: readiness fails first, an open event stream ends with a retry hint, the process exits within its grace."""

import asyncio
import signal
import time
import uuid

import httpx
import pytest

from bluemap_shared.testing import eventually
from tests.e2e.platform import Platform
from tests.e2e.test_thin_flow import admin_headers, register_enterprise

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

DRAIN_SECONDS = 2.0
GRACE_SECONDS = 8.0


async def test_sigterm_with_an_open_chat_stream_drains_and_exits_within_the_grace(platform: Platform):
    admin = await admin_headers(platform)
    enterprise_id = await register_enterprise(platform, admin, f"sse-{uuid.uuid4().hex[:6]}@example.cn")
    platform.kill("notifications")
    platform.start(
        "notifications",
        extra_env={
            "BLUEMAP_NOTIFICATIONS_SHUTDOWN_DRAIN_SECONDS": str(DRAIN_SECONDS),
            "BLUEMAP_NOTIFICATIONS_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
        },
    )
    api = platform.api("notifications")

    async def opened() -> str | None:
        async with httpx.AsyncClient(headers=admin) as client:
            response = await client.post(
                f"{api}/v1/conversations", json={"enterprise_id": enterprise_id, "body": "在吗?"}
            )
        return str(response.json()["id"]) if response.status_code == 201 else None

    conversation = await eventually(opened, timeout=60)
    received: list[str] = []
    async with httpx.AsyncClient(headers=admin, timeout=httpx.Timeout(5, read=60)) as client:
        async with client.stream("GET", f"{api}/v1/conversations/{conversation}/stream") as stream:
            lines = stream.aiter_lines()
            received.append(await anext(lines))  # the stream is open
            process = platform.processes["notifications"]
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)

            # Readiness fails at once, while the listener still answers.
            async with httpx.AsyncClient() as probe:
                ready = await probe.get(f"{api}/readyz")
            assert ready.status_code == 503
            assert ready.json()["status"] == "draining"

            async for line in lines:
                received.append(line)
            ended = time.monotonic() - signalled

        exit_code = await asyncio.to_thread(process.wait, GRACE_SECONDS + DRAIN_SECONDS + 10)
        exited = time.monotonic() - signalled
    platform.processes.pop("notifications")
    platform.start("notifications")

    assert "retry: 1000" in received, f"the stream ended without a retry hint: {received}"
    assert ended < 5, f"the stream stayed open {ended:.1f} s after SIGTERM"
    # uvicorn re-raises the signal it caught once it has shut down cleanly, so the status says SIGTERM.
    assert exit_code in (0, -signal.SIGTERM)
    assert exited < DRAIN_SECONDS + GRACE_SECONDS, f"the process took {exited:.1f} s to exit"
    log = platform.log_path("notifications").read_text()
    assert "service.draining" in log
    assert "consumer.stopped" in log
