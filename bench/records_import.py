"""Records bulk import and the enterprise page query at scale, on PostgreSQL (not a test).

    .venv/bin/python bench/records_import.py --rows 1000000 --enterprises 100000

1. Generates an import file (bench/records_data.py): Chinese enterprises, titles and summaries.
2. Imports it through the real code path, the command line `python -m bluemap_records import`, in a
   child process: wall time, rows/s, the largest process's peak RSS (os.wait4) and the peak of the
   child and its own children together (its reader process), sampled every 50 ms.
3. Baseline in the same run: the same rows, parsed beforehand (untimed), copied with asyncpg's
   copy_records_to_table into an equivalent table (CREATE TABLE ... (LIKE records INCLUDING
   DEFAULTS INCLUDING INDEXES)), and into one without indexes.
   Then the import's two halves, each alone, to show where its time goes: the writes it must make
   (each record, with its indexes and foreign key, and its RecordPublished event in the outbox, by
   COPY on two connections, nothing read, checked or looked up), and its reading and validating
   (the reader the import takes for the file, batches read and dropped, nothing written).
4. The enterprise page (records of one enterprise, one type, newest first, 50 a page) through the
   repository as the endpoint runs it, and through the HTTP API, each next to baselines measured
   alike: a primary-key lookup and SELECT 1; GET /v1/records/{id} and GET /healthz.

A fresh database is created on the PostgreSQL of deploy/local/servers.sh (or --dsn) and dropped at
the end unless --keep. Prints a Markdown table and a JSON line.
"""

import argparse
import asyncio
import csv
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from measure import admin_dsn, database_dsns, percentile, timed  # noqa: E402
from records_data import write_csv  # noqa: E402

from bluemap_records.bootstrap import bootstrap  # noqa: E402
from bluemap_records.dates import parse_issue_date  # noqa: E402
from bluemap_records.imports.events import publication_payloads  # noqa: E402
from bluemap_records.imports.service import DEFAULT_BATCH_SIZE  # noqa: E402
from bluemap_records.records.repository import RecordFilter, RecordRepository  # noqa: E402
from bluemap_records.settings import RecordsSettings  # noqa: E402
from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished  # noqa: E402
from bluemap_shared.events.envelope import context_headers  # noqa: E402
from bluemap_shared.ids import uuid7  # noqa: E402
from bluemap_shared.logging import configure_logging  # noqa: E402
from bluemap_shared.messaging.outbox import OUTBOX_COLUMNS  # noqa: E402
from bluemap_shared.messaging.transport import InProcessTransport  # noqa: E402

TENANT = "bench"
Rows = list[tuple[Any, ...]]
RAW_COLUMNS = (
    "id", "tenant_id", "enterprise_id", "record_type", "year", "source_title", "issuing_authority", "issued_on",
    "source_url", "summary", "external_id", "status", "explanation_due_on", "revision", "provenance", "import_id",
    "received_at", "content_sha256", "published_at", "published_by", "updated_at", "retracted_at", "retraction_reason",
)  # fmt: skip


def tree_rss_kib(pid: int) -> int:
    """Resident set of a process and all its descendants, in KiB (0 once it is gone)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE)[1])  # type: ignore[index]
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, TypeError):
            continue
    return total


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds a process has used (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def postgres_cpu() -> dict[int, tuple[float, bool]]:
    """CPU seconds of every PostgreSQL process on this machine, by pid (the server must be local), and
    whether the process serves BENCH_DATABASE (a backend or autovacuum worker of it: its title names it)."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() != "postgres":
                    continue
                title = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            seconds = cpu_seconds(int(entry))
            if seconds is not None:
                found[int(entry)] = (seconds, BENCH_DATABASE in title.split())
    return found


BENCH_DATABASE = ""  # set by main(): the fresh database of this run


def cpu_spent(
    before: dict[int, tuple[float, bool]], after: dict[int, tuple[float, bool]], *, ours_only: bool = False
) -> float:
    """CPU seconds PostgreSQL spent between two postgres_cpu() samples; backends started meanwhile count whole.

    ours_only: only the processes serving BENCH_DATABASE. The server is shared: other engineers'
    tests run on it too, and the whole server's CPU holds theirs.
    """
    return sum(
        seconds - before.get(pid, (0.0, ours))[0] for pid, (seconds, ours) in after.items() if ours or not ours_only
    )


def run_child(args: list[str], env: dict[str, str], peaks: dict[str, float] | None = None) -> tuple[float, int, str]:
    """Run a child; its wall seconds, its own peak RSS in KiB, and its stdout.

    peaks["tree_kib"] gets the peak of the child and its descendants together (the import reads
    in a process of its own), sampled every 50 ms: wait4 reports the largest process, not their sum.
    peaks["cpu_s"] gets the CPU seconds of the child and the children it waited for (its reader),
    peaks["postgres_cpu_s"] those of PostgreSQL meanwhile, sampled alike: a backend's CPU is gone
    from /proc once its connection closes.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        postgres_before = postgres_cpu()
        process = subprocess.Popen(args, env=env, stdout=out, stderr=sys.stderr)
        done = threading.Event()

        def sample() -> None:
            peak = 0
            postgres = dict(postgres_before)
            while not done.wait(0.05):
                peak = max(peak, tree_rss_kib(process.pid))
                for pid, (seconds, ours) in postgres_cpu().items():
                    # Once ours, always: an exiting backend's title reads empty.
                    postgres[pid] = (seconds, ours or (pid in postgres and postgres[pid][1]))
            if peaks is not None:
                peaks["tree_kib"] = peak
                peaks["postgres_cpu_s"] = cpu_spent(postgres_before, postgres)
                peaks["postgres_own_cpu_s"] = cpu_spent(postgres_before, postgres, ours_only=True)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        done.set()
        sampler.join()
        if peaks is not None:
            peaks["cpu_s"] = usage.ru_utime + usage.ru_stime
        process.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode()
    if process.returncode != 0:
        raise SystemExit(f"{args} exited {process.returncode}")
    return elapsed, usage.ru_maxrss, text


def parsed_rows(path: Path, enterprises: dict[str, Any], chunk: int) -> Iterator[Rows]:
    """The file's rows as record tuples in RAW_COLUMNS order, chunk by chunk (for the COPYs, untimed)."""
    now = datetime.now(UTC)
    import_id = uuid.uuid4()
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.reader(source)
        at = {name: i for i, name in enumerate(next(reader))}
        rows: Rows = []
        for cells in reader:
            rows.append(
                (
                    uuid.UUID(int=random.getrandbits(128) & ~(0xF << 76) | (0x7 << 76)),  # a v7-like id
                    TENANT,
                    enterprises[cells[at["uscc"]]],
                    cells[at["record_type"]],
                    int(cells[at["year"]]),
                    cells[at["source_title"]],
                    cells[at["issuing_authority"]],
                    parse_issue_date(cells[at["issued_on"]]),
                    cells[at["source_url"]] or None,
                    cells[at["summary"]] or None,
                    cells[at["external_id"]] or None,
                    "awaiting_explanation",
                    None,
                    1,
                    "import",
                    import_id,
                    now,
                    "0" * 64,
                    now,
                    "cli:bench",
                    now,
                    None,
                    None,
                )
            )
            if len(rows) == chunk:
                yield rows
                rows = []
        if rows:
            yield rows


async def raw_copy(dsn: str, path: Path, indexes: bool, chunk: int = 50_000) -> tuple[float, float, float]:
    """Seconds copy_records_to_table takes for every row of path (parsing it is not timed), and the
    CPU seconds it cost this process and the PostgreSQL backend."""
    connection = await asyncpg.connect(dsn)
    backend = connection.get_server_pid()
    try:
        table = "raw_records_indexed" if indexes else "raw_records"
        like = "INCLUDING DEFAULTS INCLUDING INDEXES" if indexes else "INCLUDING DEFAULTS"
        await connection.execute(f"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (LIKE records {like})")
        enterprises = dict(await connection.fetch("SELECT uscc, id FROM enterprises WHERE tenant_id = $1", TENANT))
        spent = client_cpu = backend_cpu = 0.0
        for rows in parsed_rows(path, enterprises, chunk):
            backend_before, client_before = cpu_seconds(backend) or 0.0, time.thread_time()
            started = time.perf_counter()
            await connection.copy_records_to_table(table, records=rows, columns=RAW_COLUMNS)
            spent += time.perf_counter() - started
            client_cpu += time.thread_time() - client_before
            backend_cpu += (cpu_seconds(backend) or 0.0) - backend_before
        await connection.execute(f"DROP TABLE {table}")
        return spent, client_cpu, backend_cpu
    finally:
        await connection.close()


async def writes_alone(dsn: str, path: Path, chunk: int = DEFAULT_BATCH_SIZE) -> tuple[float, float, float]:
    """The writes the import must make and nothing else, as fast as two connections make them.

    Each record goes into a copy of the records table with its indexes and its foreign key to the
    enterprise, and its RecordPublished event, rendered by the import's own code beforehand
    (untimed), into a copy of the outbox, in the same transaction: no reading, no validation, no
    lookups. Two connections write at once, rows split by enterprise, as the import's two writers
    do. Seconds, client CPU seconds (COPY encoding) and PostgreSQL backend CPU seconds.
    """
    setup = await asyncpg.connect(dsn)
    await setup.execute(
        "DROP TABLE IF EXISTS writes_records, writes_outbox;"
        "CREATE TABLE writes_records (LIKE records INCLUDING DEFAULTS INCLUDING INDEXES);"
        "ALTER TABLE writes_records ADD FOREIGN KEY (enterprise_id) REFERENCES enterprises (id);"
        "CREATE TABLE writes_outbox (LIKE outbox_messages INCLUDING DEFAULTS INCLUDING INDEXES)"
    )
    enterprise_rows = await setup.fetch(
        "SELECT id, uscc, name, name_en, region_code, registered_emails FROM enterprises WHERE tenant_id = $1", TENANT
    )
    snapshots = {
        row["id"]: EnterpriseSnapshot(
            enterprise_id=row["id"],
            uscc=row["uscc"],
            name=row["name"],
            name_en=row["name_en"],
            region_code=row["region_code"],
            registered_emails=json.loads(row["registered_emails"]),
        )
        for row in enterprise_rows
    }
    enterprises = {row["uscc"]: row["id"] for row in enterprise_rows}
    connections = [await asyncpg.connect(dsn) for _ in range(2)]
    backends = [c.get_server_pid() for c in connections]
    now = datetime.now(UTC)
    record_published = RecordPublished.event_type
    headers = orjson.dumps(
        context_headers("0" * 36, "/bluemap/records", record_published, "0" * 36, now.isoformat(), TENANT, None)
    ).decode()
    spent = client_cpu = 0.0
    backend_before = sum(cpu_seconds(pid) or 0.0 for pid in backends)

    def events(records: Rows) -> Rows:
        payloads = publication_payloads(records, [snapshots[r[2]] for r in records])
        return [
            (uuid7(), TENANT, RecordPublished.topic, str(r[0]), record_published, headers, p, now, now, None, 0, None)
            for r, p in zip(records, payloads, strict=True)
        ]

    async def write(connection: asyncpg.Connection, records: Rows, outbox: Rows) -> None:
        async with connection.transaction():
            await connection.copy_records_to_table("writes_records", records=records, columns=RAW_COLUMNS)
            await connection.copy_records_to_table("writes_outbox", records=outbox, columns=OUTBOX_COLUMNS)

    try:
        for rows in parsed_rows(path, enterprises, chunk * 2):
            halves: list[Rows] = [[], []]
            for row in rows:
                halves[row[2].int % 2].append((uuid7(), *row[1:]))  # ids as the import makes them
            outboxes = [events(half) for half in halves]
            started, cpu = time.perf_counter(), time.thread_time()
            await asyncio.gather(*(write(*args) for args in zip(connections, halves, outboxes, strict=True)))
            spent += time.perf_counter() - started
            client_cpu += time.thread_time() - cpu
        backend_cpu = sum(cpu_seconds(pid) or 0.0 for pid in backends) - backend_before
        await setup.execute("DROP TABLE writes_records, writes_outbox")
        return spent, client_cpu, backend_cpu
    finally:
        for connection in connections:
            await connection.close()
        await setup.close()


# The import's reading alone: the reader the import takes for this file (reader_for: the fast path
# in a thread for UTF-8 CSV), every batch read as the import reads it, then dropped. Run in a child
# so that wait4 counts a reader process with it.
READING_ALONE = """
import gc
import sys
from pathlib import Path
from bluemap_records.imports.batches import reader_for
from bluemap_records.imports.parsing import ImportFile
from bluemap_records.imports.service import DEFAULT_BATCH_SIZE
gc.set_threshold(100_000, 50, 100)  # as the import's command line sets it
reader = reader_for(ImportFile.open(Path(sys.argv[1])), DEFAULT_BATCH_SIZE)
rows = 0
while (batch := reader.next_batch()) is not None:
    rows += batch.size
reader.close()
print(rows)
"""


def reading_alone(path: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds and CPU seconds (both processes) the import's reading and validating take alone."""
    peaks: dict[str, float] = {}
    seconds, _, _ = run_child([sys.executable, "-c", READING_ALONE, str(path)], env, peaks)
    return seconds, peaks["cpu_s"]


async def page_queries(url: str, data_dir: Path, samples: int) -> dict[str, list[float]]:
    """Enterprise page latencies next to their baselines, through the repository and through HTTP."""
    configure_logging("WARNING", json=True)  # one log line per request would be measured too
    service = bootstrap(RecordsSettings(database_url=url, data_dir=data_dir), InProcessTransport())
    sessionmaker = service.runtime.sessionmaker
    async with service.runtime.engine.connect() as connection:
        pairs: list[tuple[Any, Any, Any]] = [
            tuple(row)  # type: ignore[misc]
            for row in (
                await connection.exec_driver_sql(
                    "SELECT enterprise_id, record_type, (array_agg(id))[1] FROM records TABLESAMPLE SYSTEM (5) "
                    "GROUP BY 1, 2 ORDER BY random() LIMIT 5000"
                )
            ).all()
        ]
    random.shuffle(pairs)

    async def page(i: int) -> None:
        enterprise_id, record_type, _ = pairs[i % len(pairs)]
        async with sessionmaker() as session:
            where = RecordFilter(enterprise_id=enterprise_id, record_type=record_type)
            rows = await RecordRepository(session).find(TENANT, where, after=None, limit=51)
            assert rows, "every sampled pair has records"

    async def by_primary_key(i: int) -> None:
        async with sessionmaker() as session:
            assert await RecordRepository(session).get(TENANT, pairs[i % len(pairs)][2]) is not None

    async def select_one(_: int) -> None:
        async with sessionmaker() as session:
            await session.connection()
            await (await session.connection()).exec_driver_sql("SELECT 1")

    now = int(time.time())
    token = service.signing_key.sign(
        {
            "iss": "bluemap",
            "aud": "bluemap",
            "sub": "bench",
            "iat": now,
            "exp": now + 3600,
            "tenant_id": TENANT,
            "roles": ["admin"],
        }
    )
    headers = {"Authorization": f"Bearer {token}"}
    results: dict[str, list[float]] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://records") as client:

        async def page_http(i: int) -> None:
            enterprise_id, record_type, _ = pairs[i % len(pairs)]
            response = await client.get(
                "/v1/records",
                params={"enterprise_id": str(enterprise_id), "record_type": record_type, "limit": 50},
                headers=headers,
            )
            assert response.status_code == 200

        async def record_http(i: int) -> None:
            response = await client.get(f"/v1/records/{pairs[i % len(pairs)][2]}", headers=headers)
            assert response.status_code == 200

        async def healthz(_: int) -> None:
            assert (await client.get("/healthz")).status_code == 200

        for name, work in (
            ("page (repository)", page),
            ("primary key (repository)", by_primary_key),
            ("SELECT 1 (session)", select_one),
            ("page (HTTP API)", page_http),
            ("one record by id (HTTP API)", record_http),
            ("GET /healthz (HTTP API)", healthz),
        ):
            results[name] = await timed(samples, work)
    async with service.runtime.engine.connect() as connection:
        plan = (
            await connection.exec_driver_sql(
                "EXPLAIN SELECT * FROM records WHERE tenant_id = 'bench' AND retracted_at IS NULL AND "
                f"enterprise_id = '{pairs[0][0]}' AND record_type = '{pairs[0][1]}' "
                "ORDER BY issued_on DESC, id DESC LIMIT 51"
            )
        ).all()
    print("enterprise page plan:\n  " + "\n  ".join(row[0] for row in plan), file=sys.stderr)
    await service.runtime.engine.dispose()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000, help="samples per query kind")
    parser.add_argument("--dsn", help="PostgreSQL superuser DSN (default: deploy/local/servers.sh env)")
    parser.add_argument("--file", type=Path, help="reuse this import file instead of generating one")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    dsn = args.dsn or admin_dsn()
    database = f"bench_records_{uuid.uuid4().hex[:8]}"
    global BENCH_DATABASE
    BENCH_DATABASE = database
    bench_dsn, url = database_dsns(dsn, database)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    work = Path(tempfile.mkdtemp(prefix="bench-records-"))
    try:
        path = args.file or work / "records.csv"
        if args.file is None:
            started = time.perf_counter()
            write_csv(path, args.rows, args.enterprises)
            print(
                f"generated {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("BLUEMAP_")},
            "BLUEMAP_RECORDS_DATABASE_URL": url,
            "BLUEMAP_RECORDS_DATA_DIR": str(work),
            "BLUEMAP_RECORDS_LOG_LEVEL": "WARNING",
        }
        run_child([sys.executable, "-m", "bluemap_records", "migrate"], env)
        load_before = os.getloadavg()[0]
        peaks: dict[str, float] = {}
        seconds, peak_kib, summary_text = run_child(
            [sys.executable, "-m", "bluemap_records", "import", str(path), "--tenant", TENANT, "--no-progress"],
            env,
            peaks,
        )
        load_after = os.getloadavg()[0]
        summary = json.loads(summary_text)
        if summary["status"] != "completed" or summary["created"] != summary["rows"]:
            raise SystemExit(f"import did not create every row: {summary}")
        connection = await asyncpg.connect(bench_dsn)
        rows = await connection.fetchval("SELECT count(*) FROM records")
        outbox = await connection.fetchval("SELECT count(*) FROM outbox_messages")
        await connection.execute("VACUUM ANALYZE")
        await connection.close()

        raw_indexed, raw_client_cpu, raw_backend_cpu = await raw_copy(bench_dsn, path, indexes=True)
        raw_bare, _, _ = await raw_copy(bench_dsn, path, indexes=False)
        writing, writing_client_cpu, writing_backend_cpu = await writes_alone(bench_dsn, path)
        reading, reading_cpu = reading_alone(path, env)
        queries = await page_queries(url, work, args.queries)
    finally:
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()

    rate = rows / seconds
    result = {
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "load_average_before_import": round(load_before, 2),
        "load_average_after_import": round(load_after, 2),
        "rows": rows,
        "file_bytes": path.stat().st_size,
        "outbox_rows": outbox,
        "import_seconds": round(seconds, 1),
        "import_rows_per_s": round(rate),
        "import_peak_rss_mib": round(peak_kib / 1024),
        "import_peak_rss_all_processes_mib": round(peaks.get("tree_kib", 0) / 1024),
        "raw_copy_indexed_rows_per_s": round(rows / raw_indexed),
        "raw_copy_bare_rows_per_s": round(rows / raw_bare),
        "ratio_to_raw_copy_indexed": round(rate / (rows / raw_indexed), 3),
        "ratio_to_raw_copy_bare": round(rate / (rows / raw_bare), 3),
        # The writes alone (record with its foreign key, its event in the outbox), two connections.
        "writes_alone_rows_per_s": round(rows / writing),
        "writes_alone_ratio_to_raw_copy_indexed": round(raw_indexed / writing, 3),
        "reading_alone_rows_per_s": round(rows / reading),
        "reading_alone_cpu_us_per_row": round(reading_cpu / rows * 1e6, 1),
        "writes_alone_cpu_us_per_row": {
            "client": round(writing_client_cpu / rows * 1e6, 1),
            "postgresql": round(writing_backend_cpu / rows * 1e6, 1),
        },
        # CPU per row: where the time goes on a machine whose cores the import saturates.
        "import_cpu_us_per_row": {
            "import processes": round(peaks["cpu_s"] / rows * 1e6, 1),
            "postgresql": round(peaks["postgres_cpu_s"] / rows * 1e6, 1),
        },
        # The same, with PostgreSQL's CPU counted only for the processes serving this run's database.
        "import_cpu_us_per_row_own_database": {
            "import processes": round(peaks["cpu_s"] / rows * 1e6, 1),
            "postgresql": round(peaks["postgres_own_cpu_s"] / rows * 1e6, 1),
        },
        "raw_copy_indexed_cpu_us_per_row": {
            "client": round(raw_client_cpu / rows * 1e6, 1),
            "postgresql": round(raw_backend_cpu / rows * 1e6, 1),
        },
        "queries": {
            name: {"p50_ms": round(percentile(v, 0.5), 3), "p99_ms": round(percentile(v, 0.99), 3)}
            for name, v in queries.items()
        },
    }
    q = result["queries"]
    mine_cpu, raw_cpu = result["import_cpu_us_per_row"], result["raw_copy_indexed_cpu_us_per_row"]
    import_total, raw_total = sum(mine_cpu.values()), sum(raw_cpu.values())
    own_cpu = result["import_cpu_us_per_row_own_database"]
    own_total = sum(own_cpu.values())
    writes_cpu = result["writes_alone_cpu_us_per_row"]
    writes_total = sum(writes_cpu.values())
    table = [
        ("rows imported", f"{rows:,} ({result['file_bytes'] / 1e6:.0f} MB CSV, {args.enterprises:,} enterprises)"),
        ("import (command line, child process)", f"{seconds:.0f} s, **{rate:,.0f} rows/s**"),
        ("peak RSS of the import process (largest process, wait4)", f"{result['import_peak_rss_mib']} MiB"),
        (
            "peak RSS of the import, all its processes together (sampled)",
            f"**{result['import_peak_rss_all_processes_mib']} MiB**",
        ),
        (
            "raw COPY, equivalent table with its indexes",
            f"{result['raw_copy_indexed_rows_per_s']:,} rows/s; ratio **{result['ratio_to_raw_copy_indexed']}**",
        ),
        (
            "CPU per row: import (its processes + PostgreSQL) vs raw COPY, indexed (client + PostgreSQL)",
            f"{import_total:.0f} µs ({mine_cpu['import processes']:.0f} + {mine_cpu['postgresql']:.0f}) vs "
            f"{raw_total:.0f} µs ({raw_cpu['client']:.0f} + {raw_cpu['postgresql']:.0f}): "
            f"x{import_total / raw_total:.2f}",
        ),
        (
            "the same, PostgreSQL counted only for the processes serving this run's database (the server is shared)",
            f"{own_total:.0f} µs ({own_cpu['import processes']:.0f} + {own_cpu['postgresql']:.0f}) vs "
            f"{raw_total:.0f} µs: **x{own_total / raw_total:.2f}**",
        ),
        (
            "the writes alone: each record (indexes, foreign key) and its event in the outbox, two connections, "
            "nothing read or checked",
            f"{result['writes_alone_rows_per_s']:,} rows/s; ratio {result['writes_alone_ratio_to_raw_copy_indexed']}; "
            f"CPU per row {writes_total:.0f} µs ({writes_cpu['client']:.0f} + {writes_cpu['postgresql']:.0f})",
        ),
        (
            "reading and validating alone: the import's reader, batches read and dropped",
            f"{result['reading_alone_rows_per_s']:,} rows/s; "
            f"CPU per row {result['reading_alone_cpu_us_per_row']:.0f} µs",
        ),
        (
            "raw COPY, same columns, no index",
            f"{result['raw_copy_bare_rows_per_s']:,} rows/s; ratio {result['ratio_to_raw_copy_bare']}",
        ),
    ]
    for page, baseline in (
        ("page (repository)", "primary key (repository)"),
        ("page (repository)", "SELECT 1 (session)"),
        ("page (HTTP API)", "one record by id (HTTP API)"),
        ("page (HTTP API)", "GET /healthz (HTTP API)"),
    ):
        mine, theirs = q[page], q[baseline]
        ratios = f"x{mine['p50_ms'] / theirs['p50_ms']:.2f} / x{mine['p99_ms'] / theirs['p99_ms']:.2f}"
        measured = (
            f"{mine['p50_ms']:.2f} / {mine['p99_ms']:.2f} ms vs {theirs['p50_ms']:.2f} / {theirs['p99_ms']:.2f} ms"
        )
        table.append((f"{page} p50 / p99, vs {baseline}", f"{measured}: {ratios}"))
    print("\n| measure | value |\n|---|---|")
    for name, value in table:
        print(f"| {name} | {value} |")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
