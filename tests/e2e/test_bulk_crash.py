"""An import through the spine while the relay and a consumer are killed mid-batch: nothing lost, nothing twice."""

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from bluemap_shared.testing import eventually
from tests.e2e.platform import Platform
from tests.e2e.test_thin_flow import admin_headers, new_uscc

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

ENTERPRISES = 4
RECORDS_EACH = 150
HEADER = "uscc,enterprise_name,registered_email,record_type,year,source_title,issuing_authority,issued_on,external_id"


def import_file(run: str) -> tuple[bytes, list[str]]:
    """A CSV of ENTERPRISES x RECORDS_EACH new records; the enterprises' USCCs."""
    usccs = [new_uscc() for _ in range(ENTERPRISES)]
    lines = [HEADER]
    for n, uscc in enumerate(usccs):
        for r in range(RECORDS_EACH):
            lines.append(
                f"{uscc},批量企业{run}-{n},bulk-{run}-{n}@example.cn,environmental_supervision,2024,"
                f"督办函 {run}-{n}-{r},西安市生态环境局,2024-03-0{1 + r % 9},{run}-{n}-{r}"
            )
    return ("\n".join(lines) + "\n").encode(), usccs


async def count(platform: Platform, service: str, sql: str) -> int:
    connection = await asyncpg.connect(platform.databases[service].replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(await connection.fetchval(sql))
    finally:
        await connection.close()


async def hit(platform: Platform, failpoint: str) -> None:
    marker = platform.workdir / "failpoints" / f"{failpoint}.hit"
    await eventually(lambda: asyncio.sleep(0, marker.exists()), timeout=90)
    marker.unlink()


async def test_killed_relay_and_consumer_mid_batch_lose_and_duplicate_nothing(platform: Platform):
    run = uuid.uuid4().hex[:6]
    admin = await admin_headers(platform)
    body, usccs = import_file(run)
    total = ENTERPRISES * RECORDS_EACH

    # The records relay freezes after Kafka took a batch, before marking it published; the portal's
    # consumer freezes after committing a batch, before committing its offsets.
    platform.kill("records")
    platform.start("records", extra_env={"BLUEMAP_FAILPOINTS": "outbox.before_mark_published=pause"})
    platform.kill("public-portal")
    platform.start("public-portal", extra_env={"BLUEMAP_FAILPOINTS": "consumer.after_handle_commit=pause"})

    async with httpx.AsyncClient(base_url=platform.api("records"), headers=admin, timeout=120) as client:
        response = await client.post("/v1/imports", files={"file": ("bulk.csv", body, "text/csv")})
    assert response.status_code in (200, 201), response.text

    await hit(platform, "outbox.before_mark_published")
    platform.kill("records")
    await hit(platform, "consumer.after_handle_commit")
    platform.kill("public-portal")
    platform.start("records")
    platform.start("public-portal")

    in_portal = (
        "SELECT count(*) FROM portal_records r JOIN portal_enterprises e ON e.id = r.enterprise_id "
        f"WHERE e.uscc IN ({', '.join(repr(u) for u in usccs)})"
    )
    explainable = f"SELECT count(*) FROM explainable_records WHERE source_title LIKE '督办函 {run}-%'"
    tracked = f"SELECT count(*) FROM tracked_records WHERE source_title LIKE '督办函 {run}-%'"

    async def all_arrived() -> bool:
        return (
            await count(platform, "public-portal", in_portal) == total
            and await count(platform, "explanations", explainable) == total
            and await count(platform, "notifications", tracked) == total
        )

    await eventually(all_arrived, timeout=180, interval=1.0)
    # Kafka redelivers the portal's batch once the killed member's session times out; the inbox absorbs it.
    portal_log = platform.log_path("public-portal")
    await eventually(lambda: asyncio.sleep(0, "consumer.duplicate_skipped" in portal_log.read_text()), timeout=90)
    assert await count(platform, "public-portal", in_portal) == total
