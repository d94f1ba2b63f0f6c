"""Webhook delivery throughput: the service's dispatcher against a bare httpx loop posting the same payloads.

`.venv/bin/python bench/webhook_delivery.py --deliveries 4000 --endpoints 8 --rounds 3`
A receiver (uvicorn, a bare ASGI app answering 204) runs in a child process on 127.0.0.1. Each round
queues the deliveries on a fresh notifications database of the local PostgreSQL (public changes through
`webhooks.service.queue_changes`, outside the clock), then times the `WebhookDispatcher` from its start
until every delivery is recorded delivered: lease, Standard Webhooks signatures, the POST, the attempt
row and the delivery's update, each outcome in its own transaction. The baseline of the same round posts
the same bodies to the same endpoints with one httpx.AsyncClient, as many at once as the dispatcher may
have in flight, with no database and no signature.
"""

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
from local_servers import create_database, drop_database
from measure import admin_dsn
from sqlmodel import col, func, select

from bluemap_notifications.webhooks import service
from bluemap_notifications.webhooks.delivery import RetrySchedule
from bluemap_notifications.webhooks.dispatcher import WebhookDispatcher
from bluemap_notifications.webhooks.models import Delivery, DeliveryStatus
from bluemap_notifications.webhooks.schemas import PartnerCreate, SubscriptionCreate
from bluemap_shared.db import create_engine, create_sessionmaker, utcnow
from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.logging import configure_logging
from bluemap_shared.migrations import upgrade_to_head

TENANT = "bench"


async def receiver_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Reads the body and answers 204: as little work as a receiver can do."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_receiver(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 90  # a shared machine under load imports slowly
    while time.monotonic() < deadline:
        try:
            httpx.post(f"http://127.0.0.1:{port}/ready", content=b"")
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the receiver did not start")


def changes(count: int) -> list[Envelope[RecordPublished]]:
    made = []
    for i in range(count):
        event = RecordPublished(
            record_id=uuid.uuid4(),
            enterprise=EnterpriseSnapshot(
                enterprise_id=uuid.uuid4(),
                uscc="91610000220522613X",
                name=f"陕西永安兴庆门业有限公司{i}",
                region_code="610102",
            ),
            record_type="environmental_supervision",
            explainable=True,
            year=2020,
            source_title="关于对强化监督定点帮扶发现问题进行督办的函(西安)",
            issuing_authority="中华人民共和国生态环境部",
            issued_on=date(2020, 2, 20),
            summary="督办事项：" + "废水超标排放，" * 20,
            published_at=datetime.now(UTC),
        )
        made.append(Envelope(data=event, tenant_id=TENANT, source="/bluemap/records", subject=event.subject()))
    return made


async def run(args: argparse.Namespace) -> None:
    configure_logging("WARNING", json=False)
    admin = args.dsn or os.environ.get("BLUEMAP_PG_DSN") or admin_dsn()
    name = f"bench_webhooks_{uuid.uuid4().hex[:8]}"
    url = await create_database(admin, name)
    port = free_port()
    engine = create_engine(url, pool_size=20)
    sessionmaker = create_sessionmaker(engine, service="notifications")
    per_endpoint = args.concurrency // args.endpoints
    results: list[tuple[float, float, float, float]] = []
    receiver = start_receiver(port)
    try:
        await upgrade_to_head("bluemap_notifications", url)
        async with sessionmaker() as session, session.begin():
            for i in range(args.endpoints):
                partner, _ = await service.create_partner(
                    session, TENANT, PartnerCreate(name=f"partner {i}", email=f"p{i}@example.com"), created_by="bench"
                )
                await service.create_subscription(
                    session,
                    TENANT,
                    partner.id,
                    SubscriptionCreate(url=f"http://127.0.0.1:{port}/partner/{i}"),
                    allow_loopback_http=True,
                )
        for _ in range(args.rounds):
            envelopes = changes(args.deliveries // args.endpoints)
            async with sessionmaker() as session, session.begin():
                for start in range(0, len(envelopes), 500):
                    await service.queue_changes(session, envelopes[start : start + 500], now=utcnow())
            async with sessionmaker() as session:
                pending = (
                    await session.exec(
                        select(Delivery.body, Delivery.subscription_id, Delivery.id).where(
                            Delivery.status == DeliveryStatus.PENDING
                        )
                    )
                ).all()
            paths = {}
            for i, sid in enumerate(sorted({row[1] for row in pending})):
                paths[sid] = f"http://127.0.0.1:{port}/partner/{i}"
            posts = [(paths[row[1]], row[0].encode()) for row in pending]

            bare_wall, bare_cpu = await bare_loop(posts, args.concurrency)
            wall, cpu = await dispatcher_run(sessionmaker, len(posts), args.concurrency, per_endpoint)
            results.append(
                (len(posts) / wall, cpu / len(posts) * 1e6, len(posts) / bare_wall, bare_cpu / len(posts) * 1e6)
            )
    finally:
        await engine.dispose()
        receiver.terminate()
        receiver.wait()
        await drop_database(admin, name)
    print(
        f"{args.deliveries} deliveries a round to {args.endpoints} endpoints, {args.concurrency} in flight "
        f"({per_endpoint} per endpoint), body ~{len(posts[0][1])} bytes"
    )
    print(f"{'round':<6} {'dispatcher/s':>13} {'CPU us':>8} {'bare httpx/s':>13} {'CPU us':>8} {'ratio':>6}")
    for i, (rate, cpu_us, bare_rate, bare_cpu_us) in enumerate(results, 1):
        print(f"{i:<6} {rate:>13.0f} {cpu_us:>8.0f} {bare_rate:>13.0f} {bare_cpu_us:>8.0f} {rate / bare_rate:>6.2f}")
    rates = sorted(r[0] / r[2] for r in results)
    print(f"median ratio dispatcher / bare httpx: {rates[len(rates) // 2]:.2f}")


async def bare_loop(posts: list[tuple[str, bytes]], concurrency: int) -> tuple[float, float]:
    """The same POSTs with one client, `concurrency` at a time: what sending alone costs."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    queue = iter(posts)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def worker() -> None:
            for url, body in queue:
                answer = await client.post(url, content=body, headers={"content-type": "application/cloudevents+json"})
                answer.raise_for_status()

        began, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - began, time.process_time() - cpu


async def dispatcher_run(sessionmaker: Any, count: int, concurrency: int, per_endpoint: int) -> tuple[float, float]:
    """The dispatcher from its start until every delivery of the round is recorded delivered."""
    dispatcher = WebhookDispatcher(
        sessionmaker,
        schedule=RetrySchedule(),
        allow_loopback_http=True,
        concurrency=concurrency,
        per_endpoint=per_endpoint,
        poll_interval=0.05,
    )
    began, cpu = time.perf_counter(), time.process_time()
    task = asyncio.create_task(dispatcher.run())
    while True:
        await asyncio.sleep(0.05)
        async with sessionmaker() as session:
            left = (
                await session.exec(
                    select(func.count()).select_from(Delivery).where(col(Delivery.status) == DeliveryStatus.PENDING)
                )
            ).one()
        if not left:
            break
    wall, spent = time.perf_counter() - began, time.process_time() - cpu
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return wall, spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=4000)
    parser.add_argument("--endpoints", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dsn", default="")
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        import uvicorn

        uvicorn.run(receiver_app, host="127.0.0.1", port=args.serve, log_level="warning", access_log=False)
        return
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
