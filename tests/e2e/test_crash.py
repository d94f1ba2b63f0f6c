"""Crash tests: kill -9 notifications at the worst moments; exactly one email arrives."""

import asyncio
import uuid

import asyncpg
import pytest

from bluemap_shared.testing import Mailpit, eventually
from tests.e2e.platform import Platform
from tests.e2e.test_thin_flow import admin_headers, publish_record, register_enterprise

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


async def crash_notifications_at(platform: Platform, mailpit: Mailpit, failpoint: str) -> None:
    email = f"crash-{uuid.uuid4().hex[:8]}@yongan-xingqing.example.cn"
    admin = await admin_headers(platform)
    enterprise_id = await register_enterprise(platform, admin, email)

    platform.kill("notifications")
    marker = platform.workdir / "failpoints" / f"{failpoint}.hit"
    marker.unlink(missing_ok=True)
    platform.start("notifications", extra_env={"BLUEMAP_FAILPOINTS": f"{failpoint}=pause"})
    await publish_record(platform, admin, enterprise_id)

    await eventually(lambda: asyncio.sleep(0, marker.exists()), timeout=60)
    platform.kill("notifications")
    assert await mailpit.messages(email) == [], "frozen before sending: nothing may have gone out"

    platform.start("notifications")
    await mailpit.wait_for(email, timeout=60)
    # Long enough for a duplicate to show: the relay polls every 0.5 s here.
    await asyncio.sleep(5)
    assert len(await mailpit.messages(email)) == 1


async def test_killed_before_sending_exactly_one_email(platform: Platform, mailpit: Mailpit):
    """RecordPublished is on Kafka and the email is queued; the process dies before SMTP."""
    await crash_notifications_at(platform, mailpit, "mail.before_send")


async def test_killed_before_offset_commit_redelivery_sends_no_second_email(platform: Platform, mailpit: Mailpit):
    """The handler committed but the offset did not: Kafka redelivers, the inbox absorbs it."""
    email_count_before_kill = await crash_offsets(platform, mailpit)
    assert email_count_before_kill <= 1


async def email_settled(platform: Platform, address: str) -> bool:
    """Whether notifications recorded an email to address as sent (committed, not only handed to SMTP)."""
    url = platform.databases["notifications"].replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(url)
    try:
        sent = await connection.fetchval(
            "SELECT count(*) FROM emails WHERE status = 'sent' AND recipients::text LIKE $1", f"%{address}%"
        )
    finally:
        await connection.close()
    return bool(sent)


async def crash_offsets(platform: Platform, mailpit: Mailpit) -> int:
    email = f"redeliver-{uuid.uuid4().hex[:8]}@yongan-xingqing.example.cn"
    admin = await admin_headers(platform)
    enterprise_id = await register_enterprise(platform, admin, email)

    platform.kill("notifications")
    marker = platform.workdir / "failpoints" / "consumer.after_handle_commit.hit"
    marker.unlink(missing_ok=True)
    platform.start("notifications", extra_env={"BLUEMAP_FAILPOINTS": "consumer.after_handle_commit=pause"})
    await publish_record(platform, admin, enterprise_id)
    await eventually(lambda: asyncio.sleep(0, marker.exists()), timeout=60)
    # The consumer is frozen, but the digest closer and the dispatcher go on: let them settle the email
    # first, so the kill tests the consumer's redelivery alone. (A kill between the SMTP server's accepting
    # and the email's record is mail.before_send's case: it sends again, with the same Message-ID.)
    await eventually(lambda: email_settled(platform, email), timeout=60)
    before = len(await mailpit.messages(email))
    platform.kill("notifications")

    platform.start("notifications")
    # Kafka redelivers once the killed member's session times out and the group rebalances.
    await eventually(
        lambda: asyncio.sleep(0, "consumer.duplicate_skipped" in platform.log_path("notifications").read_text()),
        timeout=90,
    )
    await mailpit.wait_for(email, timeout=60)
    await asyncio.sleep(3)
    assert len(await mailpit.messages(email)) == 1
    return before
