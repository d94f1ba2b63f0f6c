"""Metrics an ops team scrapes: consumer lag that rises and drains, events handled, outbox backlog, HTTP."""

import re

import httpx
import pytest

from bluemap_shared.testing import eventually
from tests.e2e.platform import Platform
from tests.e2e.test_bulk_crash import hit
from tests.e2e.test_thin_flow import admin_headers, new_uscc

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

HEADER = "uscc,enterprise_name,record_type,year,source_title,issuing_authority,issued_on"


async def scrape(platform: Platform, service: str) -> dict[str, float]:
    """Every sample of the service's /metrics, by its name and labels as written."""
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{platform.api(service)}/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[str, float] = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def total(samples: dict[str, float], pattern: str) -> float:
    return sum(value for name, value in samples.items() if re.fullmatch(pattern, name))


async def test_lag_rises_while_the_portal_is_held_and_drains_to_zero(platform: Platform):
    admin = await admin_headers(platform)
    uscc = new_uscc()
    row = f"{uscc},指标企业,environmental_supervision,2024,指标督办函 {{n}},西安市生态环境局,2024-03-01"
    rows = [row.format(n=n) for n in range(30)]
    # One event a batch, frozen after the first: the rest waits on the partitions.
    platform.kill("public-portal")
    platform.start(
        "public-portal",
        extra_env={
            "BLUEMAP_PORTAL_CONSUMER_BATCH_SIZE": "1",
            "BLUEMAP_FAILPOINTS": "consumer.after_handle_commit=pause",
        },
    )
    async with httpx.AsyncClient(base_url=platform.api("records"), headers=admin, timeout=60) as client:
        body = ("\n".join([HEADER, *rows]) + "\n").encode()
        response = await client.post("/v1/imports", files={"file": ("m.csv", body, "text/csv")})
    assert response.status_code in (200, 201), response.text
    await hit(platform, "consumer.after_handle_commit")

    held = await scrape(platform, "public-portal")
    assert total(held, r'bluemap_consumer_lag\{consumer="public-portal",partition="\d+",topic="bluemap\.records"\}') > 0

    platform.kill("public-portal")
    platform.start("public-portal")

    async def drained() -> bool:
        samples = await scrape(platform, "public-portal")
        lag = total(samples, r'bluemap_consumer_lag\{consumer="public-portal",.*\}')
        handled = total(samples, r'bluemap_events_handled_total\{consumer="public-portal",.*record-published.*\}')
        return lag == 0 and handled >= 1

    await eventually(drained, timeout=120, interval=1.0)

    records = await scrape(platform, "records")
    assert total(records, r"bluemap_outbox_published_messages_total\{.*\}") >= 30
    assert records["bluemap_outbox_backlog"] == 0
    assert records['bluemap_import_rows_total{outcome="created"}'] >= 30
    assert total(records, r'bluemap_http_requests_total\{method="POST",route="/v1/imports",status="20\d"\}') >= 1
    notifications = await scrape(platform, "notifications")
    assert 'bluemap_email_queue{state="pending"}' in notifications
    documents = await scrape(platform, "documents")
    assert "bluemap_render_queue" in documents
