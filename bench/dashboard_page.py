"""The responsiveness dashboard page at 1,000,000 records, on PostgreSQL (not a test).

    .venv/bin/python bench/dashboard_page.py --records 1000000

1. Creates a fresh portal database on the PostgreSQL of deploy/local/servers.sh (or --dsn), migrates it
   and generates, set-based with generate_series, --records public records of --records/100 enterprises
   in 31 provinces, of the 17 record types, published over 2024-2025 with a due date 15 days later;
   70 % explained 1-45 days after publication (sent for review 0-3 days before), then VACUUM ANALYZE.
2. Times, through the portal's site app in process with the page cache off, GET /dashboard (three
   histogram queries and the render) and GET /dashboard.csv, next to baselines in the same run: an
   enterprise page (four indexed queries and its render) and the bare SELECT of the same aggregate
   (records left-joined with their first explanation, counted by type; no calendar, no render), and the
   dashboard from the page cache (the default).
3. Prints a Markdown table (p50, p99, ratio of p99 to the bare SELECT's) and a JSON line.

The database is dropped at the end unless --keep.
"""

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from measure import admin_dsn, database_dsns, percentile, timed  # noqa: E402

from bluemap_portal.bootstrap import bootstrap  # noqa: E402
from bluemap_portal.record_types import RECORD_TYPES  # noqa: E402
from bluemap_portal.settings import PortalSettings  # noqa: E402
from bluemap_shared.logging import configure_logging  # noqa: E402
from bluemap_shared.messaging.transport import InProcessTransport  # noqa: E402
from bluemap_shared.runtime import running  # noqa: E402

TENANT = "bench"
PROVINCES = ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41")
PROVINCES += ("42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65")

GENERATE = """
INSERT INTO portal_enterprises (id, tenant_id, uscc, name, region_code, updated_at)
SELECT md5('e' || n)::uuid, $1, lpad(n::text, 18, '9'), '企业' || n,
       ($2::text[])[1 + n % array_length($2::text[], 1)] || '0100', now()
FROM generate_series(1, $3::int) AS n;

INSERT INTO portal_records (id, tenant_id, enterprise_id, record_type, year, source_title, issuing_authority,
                            issued_on, status, explanation_due_on, published_at)
SELECT md5('r' || n)::uuid, $1, md5('e' || (1 + n % $2::int))::uuid,
       ($3::text[])[1 + (n * 7) % array_length($3::text[], 1)], 2024 + p.days / 366, '记录' || n, '生态环境局',
       p.at::date, 'awaiting_explanation', p.at::date + 15, p.at
FROM generate_series(1, $4::int) AS n,
     LATERAL (SELECT (n * 7919) % 730 AS days) AS d,
     LATERAL (SELECT d.days, timestamptz '2024-01-01 02:00+00' + make_interval(days => d.days) AS at) AS p;

INSERT INTO portal_explanations (id, tenant_id, record_id, enterprise_id, submission_id, violation, reasons,
                                 corrective_actions, published_at, submitted_at)
SELECT md5('x' || r.id)::uuid, r.tenant_id, r.id, r.enterprise_id, md5('s' || r.id)::uuid, '违法', '原因', '整改',
       r.published_at + make_interval(days => 1 + h % 45),
       r.published_at + make_interval(days => 1 + h % 45) - make_interval(days => h % 4)
FROM (SELECT *, abs(hashtext(id::text)) AS h FROM portal_records WHERE tenant_id = $1) AS r
WHERE r.h % 10 < 7;
"""


async def generate(dsn: str, records: int) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        enterprises = max(1, records // 100)
        statements = [s for s in GENERATE.split(";\n") if s.strip()]
        await connection.execute(statements[0], TENANT, list(PROVINCES), enterprises)
        await connection.execute(statements[1], TENANT, enterprises, list(RECORD_TYPES), records)
        await connection.execute(statements[2], TENANT)
        await connection.execute("VACUUM ANALYZE")
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()


BARE = """
SELECT r.record_type, count(*), count(f.record_id)
FROM portal_records r
LEFT JOIN (SELECT record_id FROM portal_explanations WHERE tenant_id = $1 GROUP BY record_id) f ON f.record_id = r.id
WHERE r.tenant_id = $1
GROUP BY r.record_type
"""


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=30, help="timed requests per kind")
    parser.add_argument("--dsn", help="PostgreSQL superuser DSN (default: deploy/local/servers.sh env)")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    dsn = args.dsn or admin_dsn()
    database = f"bench_dashboard_{uuid.uuid4().hex[:8]}"
    bench_dsn, url = database_dsns(dsn, database)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    try:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("BLUEMAP_")},
            "BLUEMAP_PORTAL_DATABASE_URL": url,
            "BLUEMAP_PORTAL_LOG_LEVEL": "WARNING",
        }
        migrate = [sys.executable, "-m", "bluemap_portal", "migrate"]
        await asyncio.to_thread(subprocess.run, migrate, env=env, check=True, capture_output=True)
        started = time.perf_counter()
        await generate(bench_dsn, args.records)
        print(f"generated {args.records:,} records in {time.perf_counter() - started:.0f} s", file=sys.stderr)

        configure_logging("WARNING", json=True)
        results: dict[str, list[float]] = {}
        bare = await asyncpg.connect(bench_dsn)
        try:

            async def bare_select(_: int) -> None:
                await bare.fetch(BARE, TENANT)

            results["bare SELECT of the aggregate (baseline)"] = await timed(args.samples, bare_select, warmup=3)
        finally:
            await bare.close()
        for cache_seconds in (0.0, 60.0):
            settings = PortalSettings(
                database_url=url, default_tenant=TENANT, page_cache_seconds=cache_seconds, log_json=True
            )
            service = bootstrap(settings, InProcessTransport())
            async with running(service.runtime):
                transport = httpx.ASGITransport(app=service.site)
                async with httpx.AsyncClient(transport=transport, base_url="http://portal") as site:
                    first = (await site.get("/dashboard")).text
                    assert "<svg" in first, first[:500]

                    async def get(path: str) -> Any:
                        async def request(_: int) -> None:
                            answer = await site.get(path)
                            assert answer.status_code == 200, answer.text[:300]

                        return request

                    if cache_seconds:
                        results["dashboard page, page cache on"] = await timed(
                            args.samples * 10, await get("/dashboard"), warmup=5
                        )
                    else:
                        enterprise = f"/enterprises/{uuid.UUID(bytes=bytes.fromhex(await enterprise_id(bench_dsn)))}"
                        results["enterprise page (baseline)"] = await timed(
                            args.samples, await get(enterprise), warmup=3
                        )
                        results["dashboard page"] = await timed(args.samples, await get("/dashboard"), warmup=2)
                        results["dashboard CSV"] = await timed(args.samples, await get("/dashboard.csv"), warmup=2)
                        results["dashboard page, one province (61)"] = await timed(
                            args.samples, await get("/dashboard?region=61"), warmup=2
                        )
        base = percentile(results["bare SELECT of the aggregate (baseline)"], 0.99)
        machine = platform.processor() or platform.machine()
        print(f"\n{args.records:,} records, {args.records // 100:,} enterprises; {machine}, {os.cpu_count()} CPUs")
        print("| request | p50 ms | p99 ms | p99 / bare SELECT p99 |")
        print("|---|---:|---:|---:|")
        for kind, values in results.items():
            p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
            print(f"| {kind} | {p50:.1f} | {p99:.1f} | {p99 / base:.2f} |")
        summary = {k: {"p50": percentile(v, 0.5), "p99": percentile(v, 0.99), "n": len(v)} for k, v in results.items()}
        print(json.dumps({"records": args.records, "results": summary}))
    finally:
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


async def enterprise_id(dsn: str) -> str:
    """The hex of an enterprise with records."""
    connection = await asyncpg.connect(dsn)
    try:
        return (await connection.fetchval("SELECT enterprise_id FROM portal_records LIMIT 1")).hex
    finally:
        await connection.close()


if __name__ == "__main__":
    asyncio.run(main())
