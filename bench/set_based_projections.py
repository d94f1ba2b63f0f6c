"""Set-based projections against today's statement per event, on PostgreSQL, in the same run.

For each projection (portal, explanations, documents) it feeds the same stream of RecordPublished
events (records of --enterprises enterprises, so each batch repeats enterprises) to the service's
consumer in fetched batches of --batch events, twice, each on a fresh database migrated by the
service's own migrations:

- set-based: the service's handlers as they are (one upsert per table per batch);
- per event: the same handlers, each called with one event at a time inside the same batch
  transaction: the statements of the single-event handlers the set-based ones replaced.

Rounds interleave the two; each round sends new records. Prints events/s of both and their ratio.
`.venv/bin/python bench/set_based_projections.py --events 5000 --batch 500 --rounds 3`
"""

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from local_servers import create_database, drop_database
from measure import admin_dsn, database_dsns

from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished
from bluemap_shared.events.envelope import Envelope, Message
from bluemap_shared.messaging.inbox import EventConsumer
from bluemap_shared.projection_testing import migrated_consumer


def portal_handlers(consumer: Any) -> None:
    from bluemap_portal.projections import register_handlers

    register_handlers(consumer)


def explanations_handlers(consumer: Any) -> None:
    from bluemap_explanations.records.handlers import register_handlers

    register_handlers(consumer)


def documents_handlers(consumer: Any) -> None:
    from bluemap_documents.directory.handlers import register_handlers

    register_handlers(consumer)


PROJECTIONS: dict[str, tuple[str, str, Callable[[Any], None]]] = {
    "portal": ("bluemap_portal", "public-portal", portal_handlers),
    "explanations": ("bluemap_explanations", "explanations", explanations_handlers),
    "documents": ("bluemap_documents", "documents", documents_handlers),
}


class PerEvent:
    """Registers each set-based handler as a single-event one: a statement per event and table."""

    def __init__(self, consumer: EventConsumer) -> None:
        self.consumer = consumer

    def on(self, event: Any) -> Any:
        return self.consumer.on(event)

    def on_batch(self, event: Any) -> Any:
        def register(handler: Any) -> Any:
            async def one(session: Any, envelope: Envelope[Any]) -> None:
                await handler(session, [envelope])

            self.consumer.on(event)(one)
            return handler

        return register


def per_event(register: Callable[[Any], None]) -> Callable[[EventConsumer], None]:
    return lambda consumer: register(PerEvent(consumer))


def stream(events: int, enterprises: int, start: datetime) -> list[Message]:
    companies = [
        EnterpriseSnapshot(enterprise_id=uuid.uuid4(), uscc=f"91610000MA{n:08d}", name=f"陕西测试企业{n}有限公司")
        for n in range(enterprises)
    ]
    messages = []
    for n in range(events):
        event = RecordPublished(
            record_id=uuid.uuid4(),
            enterprise=companies[n % enterprises].model_copy(
                update={"name": f"陕西测试企业{n % enterprises}有限公司{n}"}
            ),
            record_type=("environmental_supervision", "rectification_order", "accident")[n % 3],
            explainable=n % 4 != 3,
            year=2025,
            source_title=f"关于对强化监督定点帮扶发现问题进行督办的函 {n}",
            issuing_authority="西安市生态环境局",
            issued_on=date(2025, 1, 1) + timedelta(days=n % 300),
            summary="废气排放超标。",
            published_at=start + timedelta(milliseconds=n),
            explanation_due_on=date(2099, 1, 1),
        )
        envelope = Envelope(
            data=event,
            tenant_id="ipe",
            source="/bluemap/records",
            subject=event.subject(),
            time=start + timedelta(milliseconds=n),
        )
        messages.append(envelope.to_message())
    return messages


async def feed(consumer: EventConsumer, messages: list[Message], batch: int) -> float:
    began = time.perf_counter()
    for at in range(0, len(messages), batch):
        await consumer.process_batch(messages[at : at + batch])
    return time.perf_counter() - began


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000, help="events per round and mode")
    parser.add_argument("--enterprises", type=int, default=500)
    parser.add_argument("--batch", type=int, default=500, help="events per fetched batch")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--projections", nargs="*", default=list(PROJECTIONS), choices=list(PROJECTIONS))
    parser.add_argument("--dsn", help="PostgreSQL admin DSN (default: deploy/local/servers.sh env)")
    args = parser.parse_args()
    admin = args.dsn or admin_dsn()
    print(f"{args.events} RecordPublished a round, {args.enterprises} enterprises, batches of {args.batch}")
    print("| projection | set-based events/s | per event events/s | ratio |")
    print("|---|---|---|---|")
    for name in args.projections:
        package, service, register = PROJECTIONS[name]
        databases = {mode: f"bench_projections_{mode}_{uuid.uuid4().hex[:8]}" for mode in ("set", "single")}
        for database in databases.values():
            await create_database(admin, database)
        try:
            rates: dict[str, list[float]] = {"set": [], "single": []}
            async with (
                migrated_consumer(package, database_dsns(admin, databases["set"])[1], service, register) as batched,
                migrated_consumer(
                    package, database_dsns(admin, databases["single"])[1], service, per_event(register)
                ) as single,
            ):
                for round_ in range(args.rounds):
                    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=round_)
                    for mode, (consumer, _, _) in (("set", batched), ("single", single)):
                        seconds = await feed(consumer, stream(args.events, args.enterprises, start), args.batch)
                        rates[mode].append(args.events / seconds)
            set_rate, single_rate = statistics.median(rates["set"]), statistics.median(rates["single"])
            print(f"| {name} | {set_rate:,.0f} | {single_rate:,.0f} | **{set_rate / single_rate:.2f}** |")
        finally:
            for database in databases.values():
                await drop_database(admin, database)


if __name__ == "__main__":
    asyncio.run(main())
