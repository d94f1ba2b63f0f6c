"""Bulk freshness: how long a large import takes to reach the public, the workspace and the mailboxes.

    bash deploy/local/servers.sh start
    .venv/bin/python bench/bulk_freshness.py --rows 1000000      # distributed mode, the issue's figure
    .venv/bin/python bench/bulk_freshness.py --rows 20000        # quicker
    .venv/bin/python bench/bulk_freshness.py --embedded          # the embedded default, 50,000 rows

Distributed mode: the five services run as their own processes on the local Kafka and PostgreSQL
(tests/e2e/platform.py), with fresh databases, a Kafka namespace and a bucket of the run's own, all
dropped at the end. An import file of --rows rows (bench/records_data.py, import format v1) goes
through the records service's import API as an admin; from the moment the upload starts, the clock
runs until
  (a) the public portal's API shows the file's last record on its enterprise's page,
  (b) the explanations service lists the file's last explainable record for its enterprise,
  (c) notifications has handled every RecordPublished of the import and queued every email about
      them: one per record, or digests (no digest window left open, no item left unclaimed, when
      its database has the digest tables); the time is that of the last email queued.
Each consumer's events per second come from its own inbox (inbox_messages.handled_at of its
RecordPublished events, first to last); CPU seconds and peak RSS of every process (services,
relays apart, their child processes, this benchmark) come from /proc, sampled every 0.2 s, and so
does the CPU of the PostgreSQL backends of each service's database.

Then, with the services stopped, the baselines of the same run:
  - raw COPY of the same rows into a table like `records` with its indexes (bench/records_import.py);
  - a bare aiokafka consumer reading the same RecordPublished events from the topic (its own group,
    from the earliest offset, the services' fetch size) and writing them with asyncpg executemany
    into a plain table, a transaction per fetched batch.
The machine has 2 cores shared by everything above: CPU per event against the bare consumer's is
the robust figure, events per second the one users see.

Embedded mode (--embedded): `python -m bluemap_embedded` with its demo, in a temporary data dir;
a 50,000-row import (answered 201 when done), then the time from that answer until the public
portal's API shows the last record.
"""

import argparse
import asyncio
import contextlib
import csv
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from minio import Minio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from local_servers import create_database, drop_database  # noqa: E402
from records_data import write_csv  # noqa: E402
from records_import import TENANT, raw_copy  # noqa: E402

from bluemap_records.record_types import RECORD_TYPES  # noqa: E402
from bluemap_shared.events.catalog import RecordPublished  # noqa: E402
from bluemap_shared.events.envelope import TENANT_ATTRIBUTE  # noqa: E402
from tests.e2e.embedded import running_embedded  # noqa: E402
from tests.e2e.platform import SERVICES, Platform  # noqa: E402

CONSUMERS = ("public-portal", "explanations", "notifications")
FETCH_BATCH = 1000  # the services' KafkaTransport fetch_batch_size
EMBEDDED_ROWS = 50_000
EMBEDDED_ADMIN = ("admin@ipe.example.org", "bluemap-admin-demo", "ipe")  # the demo's admin account
_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


# ----------------------------------------------------------------------------------------- /proc


def _stat(pid: int) -> tuple[float, int] | None:
    """CPU seconds (user + system) and resident KiB of a process, None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS, int(fields[21]) * _PAGE_KIB


def _children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _postgres_backends(databases: dict[str, str]) -> Iterator[tuple[int, str]]:
    """(pid, label) of each PostgreSQL backend connected to one of databases (name -> label)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if Path(f"/proc/{entry}/comm").read_text().strip() != "postgres":
                continue
            # A backend's title: "postgres: USER DATABASE HOST(PORT) STATE".
            title = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
        except OSError:
            continue
        if len(title) > 2 and title[2] in databases:
            yield int(entry), databases[title[2]]


class ProcessWatch:
    """Samples CPU and RSS of named process trees and of the PostgreSQL backends of named databases.

    A process's CPU counts as last seen, so what a process (an import's reader, a backend whose
    connection closed) spent before it ended stays counted.
    """

    def __init__(self, roots: dict[str, int], databases: dict[str, str], interval: float = 0.2) -> None:
        self.roots = roots
        self.databases = databases
        self.interval = interval
        self.cpu: dict[int, tuple[str, float]] = {}
        self.backend_cpu: dict[int, tuple[str, float]] = {}
        self.peak_kib: dict[str, int] = {}
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "ProcessWatch":
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._done.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        roots = set(self.roots.values())
        with self._lock:
            for name, root in self.roots.items():
                pending = [(root, name)]
                while pending:
                    pid, label = pending.pop()
                    seen = _stat(pid)
                    if seen is None:
                        continue
                    self.cpu[pid] = (label, seen[0])
                    self.peak_kib[label] = max(self.peak_kib.get(label, 0), seen[1])
                    # The services are this benchmark's children too: each counts under its own name.
                    pending += [(child, f"{name} (child)") for child in _children(pid) if child not in roots]
            for pid, label in _postgres_backends(self.databases):
                seen = _stat(pid)
                if seen is not None:
                    self.backend_cpu[pid] = (label, seen[0])

    def snapshot(self) -> "CpuSnapshot":
        self.sample()
        with self._lock:
            return CpuSnapshot(dict(self.cpu), dict(self.backend_cpu))


@dataclass(frozen=True)
class CpuSnapshot:
    processes: dict[int, tuple[str, float]]
    backends: dict[int, tuple[str, float]]

    def since(self, before: "CpuSnapshot") -> tuple[dict[str, float], dict[str, float]]:
        """CPU seconds spent since before, per process label and per database label."""

        def spent(now: dict[int, tuple[str, float]], then: dict[int, tuple[str, float]]) -> dict[str, float]:
            totals: dict[str, float] = {}
            for pid, (label, seconds) in now.items():
                totals[label] = totals.get(label, 0.0) + seconds - then.get(pid, (label, 0.0))[1]
            return totals

        return spent(self.processes, before.processes), spent(self.backends, before.backends)


def running_servers() -> dict[str, str]:
    """The settings of deploy/local/servers.sh's servers, already running (this never starts them)."""
    out = subprocess.run(
        ["bash", str(REPO / "deploy/local/servers.sh"), "env"], check=True, capture_output=True, text=True
    ).stdout
    return {
        name: shlex.split(value)[0] if value else ""
        for name, value in (line.removeprefix("export ").split("=", 1) for line in out.splitlines() if "=" in line)
    }


# ----------------------------------------------------------------------------------------- the file


@dataclass(frozen=True)
class Row:
    """A row of the import file, as the records API finds its record again."""

    uscc: str
    record_type: str
    source_title: str
    external_id: str


def last_rows(path: Path) -> tuple[Row, Row, int]:
    """The file's last row, its last row of an explainable record type, and its row count."""
    last = explainable = None
    count = 0
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.DictReader(source)
        for cells in reader:
            count += 1
            last = Row(cells["uscc"], cells["record_type"], cells["source_title"], cells["external_id"])
            if RECORD_TYPES[last.record_type].explainable:
                explainable = last
    if last is None or explainable is None:
        raise SystemExit(f"{path}: no rows, or none of an explainable type")
    return last, explainable, count


@dataclass(frozen=True)
class Found:
    record_id: str
    enterprise_id: str


async def find_record(client: httpx.AsyncClient, records_api: str, headers: dict[str, str], row: Row) -> Found:
    """The record a row became, through the records API."""
    response = await client.get(f"{records_api}/v1/enterprises", params={"uscc": row.uscc}, headers=headers)
    response.raise_for_status()
    enterprise_id = response.json()["items"][0]["id"]
    cursor = None
    while True:
        params = {"enterprise_id": enterprise_id, "record_type": row.record_type, "limit": 500}
        response = await client.get(
            f"{records_api}/v1/records", params=params | ({"cursor": cursor} if cursor else {}), headers=headers
        )
        response.raise_for_status()
        page = response.json()
        for record in page["items"]:
            if record["source_title"] == row.source_title and (record["external_id"] or "") == row.external_id:
                return Found(str(record["id"]), enterprise_id)
        cursor = page.get("next_cursor")
        if not cursor:
            raise RuntimeError(f"no record for the row {row}")


async def token(client: httpx.AsyncClient, records_api: str, email: str, password: str, tenant: str) -> dict[str, str]:
    response = await client.post(
        f"{records_api}/v1/auth/token", data={"username": email, "password": password, "tenant": tenant}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@dataclass
class Imported:
    started: float  # the upload began (Unix seconds)
    answered: float  # its answer (201, or 202 for a long import going on as a job)
    done: float  # the import completed (the answer, or the job's end)
    status_code: int
    summary: dict[str, Any]


async def import_file(client: httpx.AsyncClient, records_api: str, headers: dict[str, str], path: Path) -> Imported:
    """Upload the file to the import API; follow a 202's Location until the job is done."""
    started = time.time()
    with path.open("rb") as body:
        response = await client.post(
            f"{records_api}/v1/imports", files={"file": (path.name, body, "text/csv")}, headers=headers
        )
    answered = time.time()
    if response.status_code not in (201, 202):
        raise RuntimeError(f"import: {response.status_code} {response.text[:500]}")
    summary = response.json()
    while summary["status"] == "running":
        await asyncio.sleep(0.5)
        polled = await client.get(response.headers["Location"], headers=headers)
        polled.raise_for_status()
        summary = polled.json()
    done = time.time() if response.status_code == 202 else answered
    if summary["status"] != "completed" or summary["created"] != summary["rows"]:
        raise RuntimeError(f"the import did not create every row: {json.dumps(summary)[:1000]}")
    return Imported(started, answered, done, response.status_code, summary)


async def until_listed(
    client: httpx.AsyncClient,
    url: str,
    record_id: str,
    *,
    headers: dict[str, str] | None,
    poll: float,
    timeout: float,
    paged: bool = False,
) -> float:
    """The time a GET of url first answered 200 with the record in it.

    paged: url answers a list of records a page at a time (`after` = the last record_id seen), as
    explanations' listing does; an enterprise may hold more records than one page.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        after: str | None = None
        while True:
            page_url = f"{url}&after={after}" if after else url
            response = await client.get(page_url, headers=headers)
            if response.status_code == 200 and record_id in response.text:
                return time.time()
            if response.status_code not in (200, 404):
                raise RuntimeError(f"GET {url}: {response.status_code} {response.text[:300]}")
            items = response.json() if paged and response.status_code == 200 else []
            if not items:
                break
            after = items[-1]["record_id"]
        await asyncio.sleep(poll)
    raise RuntimeError(f"{url} did not list {record_id} within {timeout:.0f} s")


# ----------------------------------------------------------------------------------------- databases


def plain_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@dataclass(frozen=True)
class InboxSpan:
    """A consumer's RecordPublished events as its inbox holds them."""

    count: int
    first: float
    last: float

    @property
    def per_second(self) -> float:
        return self.count / (self.last - self.first) if self.last > self.first else float("nan")


async def inbox_span(dsn: str) -> InboxSpan:
    conn = await asyncpg.connect(plain_dsn(dsn))
    try:
        row = await conn.fetchrow(
            "SELECT count(*), min(handled_at), max(handled_at) FROM inbox_messages WHERE event_type = $1",
            RecordPublished.event_type,
        )
    finally:
        await conn.close()
    count, first, last = row[0], row[1], row[2]
    return InboxSpan(count, first.timestamp() if first else 0.0, last.timestamp() if last else 0.0)


class InboxCounter:
    """Counts a consumer's RecordPublished inbox rows, at most a tenth of the time on one core.

    Counting the inbox at 1,000,000 rows is a scan: polled at a fixed pace it would take from the
    cores the consumers run on, so the pause after each count is ten times what the count took.
    """

    def __init__(self, conn: asyncpg.Connection, poll: float) -> None:
        self.conn = conn
        self.poll = poll
        self.pause = poll

    async def count(self) -> int:
        started = time.perf_counter()
        handled = await self.conn.fetchval(
            "SELECT count(*) FROM inbox_messages WHERE event_type = $1", RecordPublished.event_type
        )
        self.pause = max(self.poll, 10 * (time.perf_counter() - started))
        return int(handled)


async def until_handled(dsn: str, expected: int, *, poll: float, timeout: float) -> None:
    """Wait until a consumer's inbox holds every RecordPublished."""
    conn = await asyncpg.connect(plain_dsn(dsn))
    try:
        deadline, inbox = time.monotonic() + timeout, InboxCounter(conn, poll)
        while await inbox.count() < expected:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{dsn}: not every RecordPublished handled within {timeout:.0f} s")
            await asyncio.sleep(inbox.pause)
    finally:
        await conn.close()


async def until_notified(dsn: str, expected: int, since: float, *, poll: float, timeout: float) -> dict[str, Any]:
    """Wait until notifications handled every RecordPublished and queued every email about them.

    One email per record is queued with its event. Digests (tables record_digests and
    record_digest_items, when the service has them) are queued when their window closes: done
    once no window is open and no item unclaimed. Returns when that was observed, the last
    email's queue time and the emails by purpose.
    """
    conn = await asyncpg.connect(plain_dsn(dsn))
    try:
        digests = await conn.fetchval("SELECT to_regclass('record_digests') IS NOT NULL")
        deadline, inbox = time.monotonic() + timeout, InboxCounter(conn, poll)
        while time.monotonic() < deadline:
            handled = await inbox.count()
            pending = 0
            if handled >= expected and digests:
                pending = await conn.fetchval(
                    "SELECT (SELECT count(*) FROM record_digests WHERE closed_at IS NULL)"
                    " + (SELECT count(*) FROM record_digest_items WHERE digest_id IS NULL)"
                )
            if handled >= expected and not pending:
                observed = time.time()
                since_at = datetime.fromtimestamp(since).astimezone()
                purposes = {
                    r["purpose"]: r["count"]
                    for r in await conn.fetch(
                        "SELECT purpose, count(*) FROM emails WHERE created_at >= $1 GROUP BY purpose", since_at
                    )
                }
                last = await conn.fetchval("SELECT max(created_at) FROM emails WHERE created_at >= $1", since_at)
                return {
                    "observed": observed,
                    "last_queued": last.timestamp() if last else observed,
                    "emails": purposes,
                    "digests": bool(digests),
                }
            await asyncio.sleep(inbox.pause)
    finally:
        await conn.close()
    raise RuntimeError(f"notifications did not queue every email within {timeout:.0f} s")


# ----------------------------------------------------------------------------------------- baselines


@dataclass(frozen=True)
class Bare:
    """What the bare consumer did: events, its first and last batch's start, its CPU and its backend's."""

    count: int
    first: float
    last: float
    client_cpu: float
    backend_cpu: float
    peak_rss_kib: int

    @property
    def per_second(self) -> float:
        return self.count / (self.last - self.first) if self.last > self.first else float("nan")


async def bare_consumer(bootstrap: str, topic: str, group: str, dsn: str, expected: int, timeout: float) -> Bare:
    """The same RecordPublished events from the topic into a plain table: asyncpg executemany, a batch at a time."""
    conn = await asyncpg.connect(dsn)
    backend = conn.get_server_pid()
    await conn.execute(
        "CREATE TABLE bare_events (event_id uuid PRIMARY KEY, tenant_id text NOT NULL, record_id uuid NOT NULL,"
        " enterprise_id uuid NOT NULL, payload jsonb NOT NULL, handled_at timestamptz NOT NULL DEFAULT now())"
    )
    insert = (
        "INSERT INTO bare_events (event_id, tenant_id, record_id, enterprise_id, payload)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING"
    )
    published = RecordPublished.event_type.encode()
    tenant_header = f"ce_{TENANT_ATTRIBUTE}"
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=FETCH_BATCH,
    )
    await consumer.start()
    backend_before, cpu_before = _stat(backend), time.process_time()
    handled, first, last = 0, 0.0, 0.0
    deadline = time.monotonic() + timeout
    try:
        while handled < expected:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bare consumer read {handled} of {expected} events within {timeout:.0f} s")
            batch = await consumer.getmany(timeout_ms=1000, max_records=FETCH_BATCH)
            if not batch:
                continue
            started = time.time()
            rows = []
            for records in batch.values():
                for record in records:
                    headers = dict(record.headers)
                    if headers.get("ce_type") != published:
                        continue
                    data = json.loads(record.value or b"{}")
                    rows.append(
                        (
                            headers["ce_id"].decode(),
                            headers[tenant_header].decode(),
                            data["record_id"],
                            data["enterprise"]["enterprise_id"],
                            (record.value or b"").decode(),
                        )
                    )
            if rows:
                async with conn.transaction():
                    await conn.executemany(insert, rows)
                first, last = first or started, started
                handled += len(rows)
            await consumer.commit()
        client_cpu = time.process_time() - cpu_before
        backend_cpu = (_stat(backend) or (0.0, 0))[0] - (backend_before or (0.0, 0))[0]
    finally:
        await consumer.stop()
        await conn.close()
    return Bare(handled, first, last, client_cpu, backend_cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


async def drop_namespace(bootstrap: str, namespace: str) -> None:
    """Delete the run's topics."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench-bulk-freshness")
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(namespace)]
        if topics:
            await admin.delete_topics(topics)
    finally:
        await admin.close()


def drop_bucket(servers: dict[str, str], bucket: str) -> None:
    """Remove the run's bucket and what the documents service stored in it."""
    client = Minio(
        servers["BLUEMAP_S3_ENDPOINT"],
        access_key=servers["BLUEMAP_S3_ACCESS_KEY"],
        secret_key=servers["BLUEMAP_S3_SECRET_KEY"],
        secure=False,
    )
    if client.bucket_exists(bucket):
        for item in client.list_objects(bucket, recursive=True):
            client.remove_object(bucket, item.object_name or "")
        client.remove_bucket(bucket)


# ----------------------------------------------------------------------------------------- distributed


@dataclass
class Distributed:
    rows: int
    enterprises: int
    imported: Imported
    public: float
    listed: float
    notified: dict[str, Any]
    spans: dict[str, InboxSpan]
    relay: InboxSpan
    cpu: dict[str, tuple[dict[str, float], dict[str, float]]]  # at each consumer's end: processes, backends
    peak_kib: dict[str, int]
    raw_copy: tuple[float, float, float]
    bare: Bare
    relays_apart: frozenset[str]
    import_cpu: tuple[dict[str, float], dict[str, float]]  # upload → import completed: processes, backends
    loads: dict[str, float] = field(default_factory=dict)


async def records_outbox_span(dsn: str, events: int, since: float) -> InboxSpan:
    """When the records relay had Kafka acknowledge the import's outbox rows, first to last.

    Counted as the import's events whether the import staged one row per event or per batch.
    """
    conn = await asyncpg.connect(plain_dsn(dsn))
    try:
        row = await conn.fetchrow(
            "SELECT min(published_at), max(published_at) FROM outbox_messages WHERE created_at >= $1",
            datetime.fromtimestamp(since).astimezone(),
        )
    finally:
        await conn.close()
    return InboxSpan(events, row[0].timestamp() if row[0] else 0.0, row[1].timestamp() if row[1] else 0.0)


async def distributed(args: argparse.Namespace, workdir: Path) -> Distributed:
    path = args.file or workdir / "records.csv"
    if args.file is None:
        started = time.perf_counter()
        write_csv(path, args.rows, args.enterprises)
        print(f"generated {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    last, last_explainable, rows = last_rows(path)

    servers = running_servers()
    run = uuid.uuid4().hex[:8]
    admin_dsn = servers["BLUEMAP_PG_DSN"]
    names = {s: f"bench_{s.replace('-', '_')}_{run}" for s in SERVICES}
    bare_name = f"bench_bare_{run}"
    databases: dict[str, str] = {}
    namespace = f"bench-{run}."
    bootstrap = servers["BLUEMAP_KAFKA_BOOTSTRAP"]
    relays_apart = frozenset(filter(None, args.relays_apart.split(",")))
    extra: dict[str, dict[str, str]] = {"public-portal": {"BLUEMAP_PORTAL_DEFAULT_TENANT": TENANT}}
    for setting in args.service_env:
        service, _, assignment = setting.partition(":")
        key, _, value = assignment.partition("=")
        extra.setdefault(service, {})[key] = value
    try:
        for service, name in names.items():
            databases[service] = await create_database(admin_dsn, name)
        bare_url = await create_database(admin_dsn, bare_name)
        platform_config = Platform(
            servers=servers,
            databases=databases,
            workdir=workdir,
            namespace=namespace,
            bucket=f"bench-{run}",
            relays_apart=relays_apart,
        )
        try:
            for service in SERVICES:
                platform_config.start(service, extra_env=extra.get(service), wait=False)
            for service in SERVICES:
                platform_config.wait_ready(service)
            running = platform_config
            email, password = f"admin@{run}.bench.example.cn", f"bench-{run}"
            running.create_user("--tenant", TENANT, "--email", email, "--password", password, "--role", "admin")
            roots = {name: p.pid for name, p in running.processes.items()} | {"benchmark": os.getpid()}
            labels = {name: service for service, name in names.items()}
            async with httpx.AsyncClient(timeout=3600) as client:
                headers = await token(client, running.api("records"), email, password, TENANT)
                with ProcessWatch(roots, labels) as watch:
                    loads = {"before": os.getloadavg()[0]}
                    before = watch.snapshot()
                    print(f"importing {rows:,} rows", file=sys.stderr)
                    imported = await import_file(client, running.api("records"), headers, path)
                    import_cpu = watch.snapshot().since(before)
                    print(f"import answered {imported.status_code} after {imported.answered - imported.started:.1f} s",
                          file=sys.stderr)  # fmt: skip
                    target = await find_record(client, running.api("records"), headers, last)
                    explainable = await find_record(client, running.api("records"), headers, last_explainable)
                    cpu: dict[str, tuple[dict[str, float], dict[str, float]]] = {}

                    async def done(service: str, waiting: Any) -> Any:
                        result = await waiting
                        cpu[service] = watch.snapshot().since(before)
                        print(f"{service}: done after {time.time() - imported.started:.1f} s", file=sys.stderr)
                        return result

                    public, listed, notified = await asyncio.gather(
                        done(
                            "public-portal",
                            until_listed(
                                client,
                                f"{running.api('public-portal')}/v1/enterprises/{target.enterprise_id}",
                                target.record_id,
                                headers=None,
                                poll=args.poll,
                                timeout=args.timeout,
                            ),
                        ),
                        done(
                            "explanations",
                            until_listed(
                                client,
                                f"{running.api('explanations')}/v1/records?enterprise_id={explainable.enterprise_id}"
                                "&limit=1000",
                                explainable.record_id,
                                headers=headers,
                                poll=args.poll,
                                timeout=args.timeout,
                                paged=True,
                            ),
                        ),
                        done(
                            "notifications",
                            until_notified(
                                databases["notifications"],
                                rows,
                                imported.started,
                                poll=args.db_poll,
                                timeout=args.timeout,
                            ),
                        ),
                    )
                    loads["after"] = os.getloadavg()[0]
                    # The portal shows the last record; wait for it to have handled every one too.
                    await until_handled(databases["public-portal"], rows, poll=args.db_poll, timeout=args.timeout)
                    running.stop_all()
                peak_kib = dict(watch.peak_kib)
            spans = {service: await inbox_span(databases[service]) for service in CONSUMERS}
            relay = await records_outbox_span(databases["records"], rows, imported.started)
        finally:
            platform_config.stop_all()

        print("services stopped; raw COPY of the same rows", file=sys.stderr)
        copy = await raw_copy(plain_dsn(databases["records"]), path, indexes=True)
        print("bare consumer on the same events", file=sys.stderr)
        bare = await bare_consumer(
            bootstrap,
            namespace + RecordPublished.topic,
            f"{namespace}bench-bare",
            plain_dsn(bare_url),
            rows,
            args.timeout,
        )
        loads["baselines"] = os.getloadavg()[0]
    finally:
        with contextlib.suppress(Exception):
            await drop_namespace(bootstrap, namespace)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(drop_bucket, servers, f"bench-{run}")
        for name in [*names.values(), bare_name]:
            await drop_database(admin_dsn, name)
    return Distributed(
        rows=rows,
        enterprises=args.enterprises,
        imported=imported,
        public=public,
        listed=listed,
        notified=notified,
        spans=spans,
        relay=relay,
        cpu=cpu,
        peak_kib=peak_kib,
        raw_copy=copy,
        bare=bare,
        relays_apart=relays_apart,
        import_cpu=import_cpu,
        loads=loads,
    )


def _service_cpu(cpu: tuple[dict[str, float], dict[str, float]], service: str) -> tuple[float, float]:
    """CPU seconds of a service's serve process and its children, and of its database's backends."""
    processes, backends = cpu
    own = sum(v for k, v in processes.items() if k == service or k.startswith(f"{service} ("))
    return own, backends.get(service, 0.0)


def distributed_report(run: Distributed, command: str) -> tuple[str, dict[str, Any]]:
    imported, bare, n = run.imported, run.bare, run.rows
    origin = imported.started
    copy_seconds, copy_client_cpu, copy_backend_cpu = run.raw_copy
    copy_cpu = (copy_client_cpu + copy_backend_cpu) / n
    import_process, import_backends = _service_cpu(run.import_cpu, "records")
    import_cpu = (import_process + import_backends) / n
    to_public = run.public - origin
    bare_cpu = (bare.client_cpu + bare.backend_cpu) / bare.count
    ms, us = 1000.0, 1e6
    result: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "load_average": {k: round(v, 2) for k, v in run.loads.items()},
        "rows": n,
        "enterprises": run.enterprises,
        "relays_apart": sorted(run.relays_apart),
        "import_answer_s": round(imported.answered - origin, 2),
        "import_status": imported.status_code,
        "import_done_s": round(imported.done - origin, 2),
        "import_cpu_us_per_row": {
            "records": round(import_process / n * us),
            "postgresql": round(import_backends / n * us),
        },
        "to_public_s": round(to_public, 2),
        "to_explanations_s": round(run.listed - origin, 2),
        "to_notifications_s": round(run.notified["last_queued"] - origin, 2),
        "notifications_observed_s": round(run.notified["observed"] - origin, 2),
        "emails": run.notified["emails"],
        "digest_tables": run.notified["digests"],
        "raw_copy_s": round(copy_seconds, 2),
        "raw_copy_cpu_us_per_row": round(copy_cpu * us, 1),
        "ratio_copy_to_public": round(copy_seconds / to_public, 4),
        "records_relay_events_per_s": round(run.relay.per_second),
        "bare_events_per_s": round(bare.per_second),
        "bare_cpu_us_per_event": {
            "client": round(bare.client_cpu / bare.count * us),
            "postgresql": round(bare.backend_cpu / bare.count * us),
        },
        "consumers": {},
        "peak_rss_mib": {k: round(v / 1024) for k, v in sorted(run.peak_kib.items())},
        "bare_peak_rss_mib": round(bare.peak_rss_kib / 1024),
    }
    emails = ", ".join(f"{k} {v:,}" for k, v in run.notified["emails"].items()) or "none"
    kind = "digest tables present" if run.notified["digests"] else "no digest tables: one email per record"
    relays = ", ".join(sorted(run.relays_apart)) or "none"
    lines = [
        f"`{command}`",
        "",
        f"{result['machine']}; load average {run.loads['before']:.1f} before the import, "
        f"{run.loads['after']:.1f} when every consumer was done, {run.loads['baselines']:.1f} after the baselines. "
        f"{n:,} rows about {run.enterprises:,} enterprises; relays apart: {relays}.",
        "",
        "| from the start of the upload | seconds |",
        "|---|---|",
        f"| import answered ({imported.status_code}) | {imported.answered - origin:.1f} |",
        f"| import completed | {imported.done - origin:.1f} |",
        f"| records relay: the import's events on Kafka, first → last | "
        f"{run.relay.first - origin:.1f} → {run.relay.last - origin:.1f} ({run.relay.per_second:,.0f} events/s) |",
        f"| **(a) the public portal's API shows the last record** | **{to_public:.1f}** |",
        f"| (b) explanations lists the last explainable record for its enterprise | {run.listed - origin:.1f} |",
        f"| (c) notifications queued its last email about the import (seen done at "
        f"{run.notified['observed'] - origin:.1f}) | {run.notified['last_queued'] - origin:.1f} |",
        f"| raw COPY of the same rows, table like `records` with its indexes (services stopped) | {copy_seconds:.2f} |",
        f"| **ratio raw COPY / import-to-public** (target ≥ 0.25) | **{copy_seconds / to_public:.4f}** |",
        f"| CPU per row: the import (records process, its children, its database's backends) vs raw COPY "
        f"(client + backend) | {import_cpu * us:.0f} µs vs {copy_cpu * us:.0f} µs: "
        f"ratio COPY / import {copy_cpu / import_cpu:.2f} |",
        "",
        f"Emails queued about the import: {emails} ({kind}).",
        "",
        "| consumer of RecordPublished | events/s (its inbox, first → last) | **vs bare** (target ≥ 0.5) "
        "| CPU per event: process | + its database's backends | **vs bare: bare CPU / this CPU** |",
        "|---|---|---|---|---|---|",
    ]
    for service in CONSUMERS:
        span = run.spans[service]
        process_cpu, backend_cpu = _service_cpu(run.cpu[service], service)
        per_event = (process_cpu + backend_cpu) / span.count
        result["consumers"][service] = {
            "events": span.count,
            "events_per_s": round(span.per_second, 1),
            "ratio_to_bare": round(span.per_second / bare.per_second, 4),
            "cpu_us_per_event": {
                "process": round(process_cpu / span.count * us),
                "postgresql": round(backend_cpu / span.count * us),
            },
            "cpu_ratio_bare_to_consumer": round(bare_cpu / per_event, 3),
        }
        lines.append(
            f"| {service} | {span.per_second:,.1f} | **{span.per_second / bare.per_second:.4f}** "
            f"| {process_cpu / span.count * ms:.2f} ms | {per_event * ms:.2f} ms | **{bare_cpu / per_event:.3f}** |"
        )
    lines += [
        f"| bare aiokafka + asyncpg executemany (services stopped) | {bare.per_second:,.0f} | 1 "
        f"| {bare.client_cpu / bare.count * ms:.3f} ms | {bare_cpu * ms:.3f} ms | 1 |",
        "",
        "A consumer's CPU is all its service's process did from the upload until that consumer was seen done "
        "(EnterpriseRegistered events, this benchmark's polls, the dispatcher's SMTP sends): an upper bound.",
        "",
        "| process | peak RSS (target < 300 MB) |",
        "|---|---|",
    ]
    lines += [f"| {label} | {kib / 1024:.0f} MiB |" for label, kib in sorted(run.peak_kib.items())]
    lines.append(f"| benchmark, whole run with the baselines (getrusage) | {bare.peak_rss_kib / 1024:.0f} MiB |")
    return "\n".join(lines), result


# ----------------------------------------------------------------------------------------- embedded


def embedded_pid() -> int:
    """The `python -m bluemap_embedded` child of this process."""
    return next(p for p in _children(os.getpid()) if b"bluemap_embedded" in Path(f"/proc/{p}/cmdline").read_bytes())


async def embedded(args: argparse.Namespace, workdir: Path) -> tuple[str, dict[str, Any]]:
    rows = args.rows or EMBEDDED_ROWS
    enterprises = args.enterprises or max(1, rows // 10)
    path = workdir / "records.csv"
    write_csv(path, rows, enterprises)
    last, _, rows = last_rows(path)
    email, password, tenant = EMBEDDED_ADMIN
    with running_embedded(workdir) as platform_:
        pid = embedded_pid()
        async with httpx.AsyncClient(timeout=3600) as client:
            headers = await token(client, platform_.api("records"), email, password, tenant)
            with ProcessWatch({"bluemap_embedded": pid}, {}) as watch:
                before = watch.snapshot()
                load = os.getloadavg()[0]
                imported = await import_file(client, platform_.api("records"), headers, path)
                target = await find_record(client, platform_.api("records"), headers, last)
                public = await until_listed(
                    client,
                    f"{platform_.api('public-portal')}/v1/enterprises/{target.enterprise_id}",
                    target.record_id,
                    headers=None,
                    poll=args.poll,
                    timeout=args.timeout,
                )
                processes, _ = watch.snapshot().since(before)
            peak = dict(watch.peak_kib)
    after_answer = public - imported.done
    result = {
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "rows": rows,
        "load_average_before": round(load, 2),
        "import_status": imported.status_code,
        "import_answer_s": round(imported.answered - imported.started, 2),
        "answer_to_public_s": round(after_answer, 2),
        "cpu_s": round(sum(processes.values()), 1),
        "peak_rss_mib": {k: round(v / 1024) for k, v in peak.items()},
    }
    lines = [
        f"`.venv/bin/python bench/bulk_freshness.py --embedded{f' --rows {args.rows}' if args.rows else ''}`",
        "",
        f"{result['machine']}; load average {load:.1f} before the import. {rows:,} rows, {enterprises:,} enterprises, "
        "embedded default with its demo (SQLite, in-process bus), fresh data dir.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| import answered ({imported.status_code}) | {imported.answered - imported.started:.1f} s after the upload |",
        f"| **the import's answer → the public portal's API shows the last record** (target ≤ 60 s) "
        f"| **{after_answer:.1f} s** |",
        f"| CPU of the embedded process, upload → last record public | {sum(processes.values()):.1f} s |",
        *(f"| peak RSS, {label} | {kib / 1024:.0f} MiB |" for label, kib in sorted(peak.items())),
    ]
    return "\n".join(lines), result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=None, help="rows to import (distributed default 1,000,000)")
    parser.add_argument("--enterprises", type=int, default=None, help="enterprises in the file (default rows / 10)")
    parser.add_argument("--file", type=Path, help="import this file instead of generating one (distributed mode)")
    parser.add_argument("--embedded", action="store_true", help="the embedded default instead (50,000 rows)")
    parser.add_argument(
        "--relays-apart",
        default="explanations",
        help="services whose outbox a `relay` process publishes, comma-separated, '' for none "
        "(default: explanations, as docker-compose.yml deploys it)",
    )
    parser.add_argument(
        "--service-env",
        action="append",
        default=[],
        metavar="SERVICE:KEY=VALUE",
        help="an extra environment variable of one service, e.g. notifications:BLUEMAP_NOTIFICATIONS_X=1",
    )
    parser.add_argument("--poll", type=float, default=0.25, help="seconds between looks at the APIs")
    parser.add_argument("--db-poll", type=float, default=1.0, help="seconds between looks at notifications' tables")
    parser.add_argument("--timeout", type=float, default=6 * 3600, help="seconds each wait may take at most")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-freshness-") as tmp:
        if args.embedded:
            table, result = await embedded(args, Path(tmp))
        else:
            args.rows = args.rows or 1_000_000
            args.enterprises = args.enterprises or max(1, args.rows // 10)
            command = " ".join(["python bench/bulk_freshness.py", *sys.argv[1:]])
            table, result = distributed_report(await distributed(args, Path(tmp)), f".venv/bin/{command}")
    print(table)
    print(json.dumps(result, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
