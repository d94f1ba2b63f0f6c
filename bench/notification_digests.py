"""Digests: what gathering new records costs per event, one event per transaction and in batches, against the
single alert it replaces (one rendered email row per event), and what closing the windows costs.

`.venv/bin/python bench/notification_digests.py --events 5000 --enterprises 500`
On a fresh notifications database of the local PostgreSQL; nothing is sent (the dispatcher gets a mailer
that drops each message, and its loop is left to the timing's end).
"""

import argparse
import asyncio
import time
import uuid
from datetime import UTC, date, datetime
from email.message import EmailMessage

from local_servers import create_database, drop_database
from measure import admin_dsn
from sqlmodel import func, select

from bluemap_notifications.bootstrap import NotificationsService, bootstrap
from bluemap_notifications.digests import service as digests
from bluemap_notifications.digests.closer import DigestCloser
from bluemap_notifications.digests.models import RecordDigest
from bluemap_notifications.emails.models import Email
from bluemap_notifications.emails.rendering import render_record_published
from bluemap_notifications.emails.service import RECORD_PUBLISHED, queue_to_addresses
from bluemap_notifications.settings import NotificationsSettings
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.logging import configure_logging
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.runtime import running
from bluemap_shared.testing import TokenIssuer


class DroppingMailer:
    async def send(self, message: EmailMessage) -> None:
        return None


def events(count: int, enterprises: int, tenant: str) -> list[Envelope[RecordPublished]]:
    """count new records of one import over the enterprises, each with a registered address."""
    companies = [
        EnterpriseSnapshot(
            enterprise_id=uuid.uuid4(),
            uscc="91610000220522613X",
            name=f"陕西永安兴庆门业有限公司{i}",
            registered_emails=[f"ehs{i}@example.com"],
        )
        for i in range(enterprises)
    ]
    import_id = uuid.uuid4()
    out = []
    for i in range(count):
        event = RecordPublished(
            record_id=uuid.uuid4(),
            enterprise=companies[i % enterprises],
            record_type="environmental_supervision",
            explainable=True,
            year=2020,
            source_title=f"关于对强化监督定点帮扶发现问题进行督办的函(西安){i}",
            issuing_authority="中华人民共和国生态环境部",
            issued_on=date(2020, 2, 20),
            published_at=datetime.now(UTC),
            explanation_due_on=date(2020, 3, 13),
            import_id=import_id,
        )
        out.append(Envelope(data=event, tenant_id=tenant, source="/bluemap/records", subject=event.subject()))
    return out


async def single_alerts(svc: NotificationsService, batch: list[Envelope[RecordPublished]]) -> None:
    """The replaced path: one rendered email row per event, one transaction each."""
    for envelope in batch:
        async with svc.runtime.sessionmaker() as session, session.begin():
            event = envelope.data
            await queue_to_addresses(
                session,
                tenant_id=envelope.tenant_id,
                purpose=RECORD_PUBLISHED,
                cause_id=envelope.id,
                rendered=render_record_published(event, portal_base_url="http://p"),
                recipients=[str(a) for a in event.enterprise.registered_emails],
                enterprise_id=event.enterprise.enterprise_id,
            )


async def gathered(svc: NotificationsService, batch: list[Envelope[RecordPublished]], size: int) -> None:
    for start in range(0, len(batch), size):
        async with svc.runtime.sessionmaker() as session, session.begin():
            await digests.gather_published(session, batch[start : start + size], now=utcnow())


async def run(args: argparse.Namespace) -> None:
    configure_logging("WARNING", json=False)  # the per-event info lines would cost more than the work timed
    admin = args.dsn or admin_dsn()
    name = f"bench_digests_{uuid.uuid4().hex[:8]}"
    url = await create_database(admin, name)
    settings = NotificationsSettings(
        database_url=url,
        digest_quiet_seconds=3600,  # the service's own closer and dispatcher stay out of the timings
        digest_poll_interval=3600,
        send_poll_interval=3600,
        log_level="WARNING",
        log_json=False,
    )
    svc = bootstrap(settings, InProcessTransport(), token_verifier=TokenIssuer().verifier, mailer=DroppingMailer())
    try:
        async with running(svc.runtime):
            paths = {
                "single alert (the replaced path), 1 event per transaction": (
                    events(args.events, args.enterprises, "a"),
                    single_alerts,
                ),
                "gather_published, 1 event per transaction (handler today)": (
                    events(args.events, args.enterprises, "b"),
                    lambda svc, block: gathered(svc, block, 1),
                ),
                f"gather_published, {args.batch} events per transaction": (
                    events(args.events, args.enterprises, "c"),
                    lambda svc, block: gathered(svc, block, args.batch),
                ),
            }
            spent = {label: [0.0, 0.0] for label in paths}
            # Block by block, the three paths in turn: a change in the shared machine's load hits all three.
            for start in range(0, args.events, args.batch):
                for label, (envelopes, write) in paths.items():
                    began, cpu = time.perf_counter(), time.process_time()
                    await write(svc, envelopes[start : start + args.batch])
                    spent[label][0] += time.perf_counter() - began
                    spent[label][1] += time.process_time() - cpu
            rows = [(label, args.events / wall, cpu / args.events * 1e6) for label, (wall, cpu) in spent.items()]
            async with svc.runtime.sessionmaker() as session:
                windows = int((await session.exec(select(func.count()).select_from(RecordDigest))).one())
            closer = DigestCloser(
                svc.runtime.sessionmaker, portal_base_url="http://p", wake_dispatcher=lambda: None, quiet_seconds=0.001
            )
            started = time.perf_counter()
            closed = 0
            while just := await closer.close_due():
                closed += just
            close_wall = time.perf_counter() - started
            async with svc.runtime.sessionmaker() as session:
                emails = int((await session.exec(select(func.count()).select_from(Email))).one())
    finally:
        await drop_database(admin, name)
    baseline = rows[0][1]
    print(f"{args.events} events over {args.enterprises} enterprises, one import")
    print(f"{'path':<62} {'events/s':>9} {'CPU us/event':>13} {'vs replaced':>12}")
    for label, rate, cpu in rows:
        print(f"{label:<62} {rate:>9.0f} {cpu:>13.0f} {rate / baseline:>12.2f}")
    print(
        f"closing {closed} of {windows} windows into emails: {closed / close_wall:.0f} windows/s, "
        f"{args.events * 2 / close_wall:.0f} listed records/s; {emails} email rows in all"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--enterprises", type=int, default=500)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--dsn", default="")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
