"""Imported records reach Kafka once per real change; migrations agree with the models on PostgreSQL."""

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from alembic import command
from records_testing import SAMPLE_CSV, Running, csv_file, csv_row

from bluemap_records.bootstrap import bootstrap
from bluemap_records.settings import RecordsSettings
from bluemap_shared.messaging.transport import KafkaTransport
from bluemap_shared.migrations import alembic_config
from bluemap_shared.runtime import running
from bluemap_shared.testing import eventually

pytestmark = pytest.mark.integration


async def read_all(bootstrap_servers: str, topic: str, settle: float = 2.0) -> list:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    found = []
    try:
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < settle:
            batch = await consumer.getmany(timeout_ms=300)
            for part in batch.values():
                found.extend(part)
                quiet_since = time.monotonic()
    finally:
        await consumer.stop()
    return found


async def test_each_real_change_arrives_on_kafka_once(
    servers: dict[str, str], create_database: Callable[[str], Awaitable[str]], tmp_path: Path
) -> None:
    namespace = f"test-{uuid.uuid4().hex[:10]}."
    kafka = servers["BLUEMAP_KAFKA_BOOTSTRAP"]
    settings = RecordsSettings(
        database_url=await create_database("records_kafka"),
        data_dir=tmp_path,
        environment="test",
        transport="kafka",
        kafka_bootstrap=kafka,
        kafka_namespace=namespace,
        outbox_poll_interval=0.2,
    )
    transport = KafkaTransport(kafka, client_id="records-test", namespace=namespace)
    service = bootstrap(settings, transport)
    await transport.start()
    try:
        async with (
            running(service.runtime),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://records") as client,
        ):
            records = Running(service=service, client=client)
            assert (await records.upload("ipe", SAMPLE_CSV.read_bytes())).json()["created"] == 20
            assert (await records.upload("ipe", SAMPLE_CSV.read_bytes())).json()["unchanged"] == 20
            changed = await records.upload("ipe", csv_file(csv_row(summary="更正后的摘要")))
            assert changed.json()["updated"] == 1

            async def all_sent() -> bool:
                return all(m.published_at is not None for m in await records.outbox("ipe"))

            await eventually(all_sent, timeout=30)
    finally:
        await transport.stop()

    messages = await read_all(kafka, namespace + "bluemap.records")
    types = Counter(dict(m.headers)["ce_type"].decode().split(".")[3] for m in messages)
    assert types == {"enterprise-registered": 7, "record-published": 20, "record-updated": 1}
    keys = Counter(m.key for m in messages if b"record-" in dict(m.headers)["ce_type"])
    assert sorted(keys.values()) == [1] * 19 + [2]  # one record was published, then updated


async def test_migrations_agree_with_the_models_and_go_down_and_up(
    create_database: Callable[[str], Awaitable[str]], servers: dict[str, str]
) -> None:
    url = await create_database("records_migrations")
    config = alembic_config("bluemap_records", url)
    await asyncio.to_thread(command.upgrade, config, "0001")
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        # A record written before 0002: it gets revision 1 and a fingerprint of format v1.
        await connection.execute(
            "INSERT INTO enterprises VALUES ('01900000-0000-7000-8000-000000000001', 'ipe', '91610100992777567D',"
            " '陕西永安兴庆门业有限公司', NULL, NULL, NULL, '[]', 'active', now(), now())"
        )
        await connection.execute(
            "INSERT INTO records (id, tenant_id, enterprise_id, record_type, year, source_title, issuing_authority,"
            " issued_on, status, provenance, content_sha256, published_at, updated_at) VALUES"
            " ('01900000-0000-7000-8000-000000000002', 'ipe', '01900000-0000-7000-8000-000000000001', 'accident',"
            " 2020, '标题', '机关', '2020-01-01', 'awaiting_explanation', 'api', 'old', now(), now())"
        )
        await asyncio.to_thread(command.upgrade, config, "head")
        await asyncio.to_thread(command.check, config)  # the models and the migrations agree
        row = await connection.fetchrow(
            "SELECT revision, content_sha256, received_at = published_at AS same FROM records"
        )
        assert (row["revision"], len(row["content_sha256"]), row["same"]) == (1, 64, True)
        # 0004: the publication moved onto the record; the history keeps the transitions after it.
        assert await connection.fetchval("SELECT count(*) FROM record_status_history") == 0
        await asyncio.to_thread(command.downgrade, config, "0003")
        publication = await connection.fetchrow("SELECT status, trigger FROM record_status_history")
        assert dict(publication) == {"status": "awaiting_explanation", "trigger": "published"}
        await connection.execute("UPDATE record_status_history SET actor = 'cli:ops'")
        await asyncio.to_thread(command.upgrade, config, "head")
        assert await connection.fetchval("SELECT published_by FROM records") == "cli:ops"
        assert await connection.fetchval("SELECT count(*) FROM record_status_history") == 0
        assert await connection.fetchval("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'") == 1
        await asyncio.to_thread(command.downgrade, config, "0001")
        await asyncio.to_thread(command.upgrade, config, "head")
    finally:
        await connection.close()
