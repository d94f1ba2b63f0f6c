"""Open-data export of a large tenant: time, CPU and peak memory of a rebuild against a bare COPY, same run.

    bash deploy/local/servers.sh start
    .venv/bin/python bench/open_data_export.py --records 1000000

A fresh portal database gets --records public records (and a tenth as many enterprises) of one
tenant, written set-based with generate_series. Then, each in a child process of its own so that
its peak RSS is its own:
  - baseline: asyncpg's COPY (SELECT the records dataset's columns ... ORDER BY id) TO STDOUT as CSV,
    gzip-compressed at the same level into a file: the least any gzip CSV export can do;
  - open data: OpenDataBuilder.build() of the tenant: the four datasets, each as CSV and JSON Lines.
Wall time, CPU of the child (user + system) and of the PostgreSQL backends (not counted: the
server's share is alike in both), and the child's peak RSS are reported, with the ratios.
"""

import argparse
import asyncio
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from local_servers import create_database, drop_database
from measure import admin_dsn, database_dsns

from bluemap_portal.opendata.dictionary import DATASETS
from bluemap_shared.migrations import upgrade_to_head

TENANT = "ipe"


async def fill(dsn: str, records: int) -> None:
    enterprises = max(1, records // 10)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            """
            INSERT INTO portal_enterprises (id, tenant_id, uscc, name, name_en, region_code, updated_at)
            SELECT md5('e' || g)::uuid, $1, lpad(g::text, 18, '9'), '企业' || g, 'Enterprise ' || g, '610100', now()
            FROM generate_series(1, $2) g
            """,
            TENANT,
            enterprises,
        )
        await connection.execute(
            """
            INSERT INTO portal_records (id, tenant_id, enterprise_id, record_type, year, source_title,
                issuing_authority, issued_on, source_url, summary, status, explanation_due_on, published_at, revision)
            SELECT md5('r' || g)::uuid, $1, md5('e' || (1 + g % $3))::uuid, 'environmental_supervision', 2020,
                   '关于对强化监督定点帮扶发现问题进行督办的函 ' || g, '中华人民共和国生态环境部', date '2020-02-20',
                   'https://www.mee.gov.cn/xxgk/' || g || '.html', '废气排放超标。', 'published',
                   date '2020-03-13', now(), 0
            FROM generate_series(1, $2) g
            """,
            TENANT,
            records,
            enterprises,
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def baseline(dsn: str, into: Path) -> None:
    columns = ", ".join(field.name for field in DATASETS["records"].fields)
    query = f"SELECT {columns} FROM portal_records WHERE tenant_id = '{TENANT}' ORDER BY id"
    connection = await asyncpg.connect(dsn)
    try:
        with gzip.open(into / "records.csv.gz", "wb", compresslevel=6) as out:

            async def write(chunk: bytes) -> None:
                out.write(chunk)

            await connection.copy_from_query(query, output=write, format="csv", header=True)
    finally:
        await connection.close()


async def build(url: str, into: Path) -> None:
    from bluemap_portal.opendata.builder import OpenDataBuilder
    from bluemap_shared.db import create_engine, create_sessionmaker

    engine = create_engine(url)
    try:
        await OpenDataBuilder(create_sessionmaker(engine, service="public-portal"), into, interval_seconds=1).build(
            TENANT
        )
    finally:
        await engine.dispose()


def child(phase: str, dsn: str, url: str) -> dict[str, float]:
    """Run a phase in a child process; its wall time, CPU seconds and peak RSS (MiB)."""
    with tempfile.TemporaryDirectory() as into:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, __file__, "--phase", phase, "--dsn", dsn, "--url", url, "--into", into]
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"{phase} failed: {status}")
        size = sum(p.stat().st_size for p in Path(into).rglob("*.gz"))
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "gzip_bytes": size,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--phase", choices=["baseline", "build"])
    parser.add_argument("--dsn")
    parser.add_argument("--url")
    parser.add_argument("--into", type=Path)
    args = parser.parse_args()
    if args.phase == "baseline":
        await baseline(args.dsn, args.into)
        return
    if args.phase == "build":
        await build(args.url, args.into)
        return
    admin = admin_dsn()
    name = f"bench_open_data_{uuid.uuid4().hex[:8]}"
    await create_database(admin, name)
    try:
        dsn, url = database_dsns(admin, name)
        await upgrade_to_head("bluemap_portal", url)
        started = time.perf_counter()
        await fill(dsn, args.records)
        print(f"filled {args.records:,} records in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        bare = child("baseline", dsn, url)
        ours = child("build", dsn, url)
        result = {
            "records": args.records,
            "baseline_copy_gzip_csv": bare,
            "open_data_build": ours,
            "cpu_ratio": round(ours["cpu_s"] / bare["cpu_s"], 2),
            "wall_ratio": round(ours["wall_s"] / bare["wall_s"], 2),
            "load_average": os.getloadavg()[0],
            "cpu_per_record_us": {
                "baseline": round(bare["cpu_s"] / args.records * 1e6, 1),
                "open_data": round(ours["cpu_s"] / args.records * 1e6, 1),
            },
        }
        print(json.dumps(result, indent=2))
    finally:
        await drop_database(admin, name)


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    asyncio.run(main())
