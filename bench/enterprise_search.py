"""Enterprise search at 1,000,000 enterprises, on PostgreSQL (not a test).

    .venv/bin/python bench/enterprise_search.py --enterprises 1000000

1. Creates a fresh database on the PostgreSQL of deploy/local/servers.sh (or --dsn), migrates it
   and copies in a directory of Chinese enterprises named as bench/records_data.py names them
   (city, two brand words, industry, legal form: 西安永安华山化工有限公司), then ANALYZE.
2. Times the directory's searches as the endpoint (GET /v1/enterprises) runs them, through the
   repository: by USCC, and by name substrings of every kind a user types (a common two-character
   word, a rare company's words, words no name holds, one character held by many names or by none), a
   page of 50 in id order.
   Baseline in the same run: an enterprise by primary key, through the same repository and session;
   and two of the searches with one generic plan for any words, which PostgreSQL adopts after five
   runs of a prepared statement unless the repository asks for a plan per search, as it does.
3. Copies the same directory into a public portal database and times its search page (a count as
   far as the first page's links go, then 20 results in name order) for the same words, an English
   name's and a USCC, next to the page's two queries as they were before commit 6c0d5cb (no index
   could answer them; the count was exact).
4. Prints each search's plan (EXPLAIN ANALYZE), a Markdown table and a JSON line.

The databases are dropped at the end unless --keep.
"""

import argparse
import asyncio
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, or_, text
from sqlalchemy.dialects import postgresql
from sqlmodel import col, select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from measure import admin_dsn, database_dsns, percentile, timed  # noqa: E402
from records_data import BRANDS, CITIES, INDUSTRIES, SUFFIXES, uscc_of  # noqa: E402

from bluemap_portal.enterprises.models import PortalEnterprise  # noqa: E402
from bluemap_portal.enterprises.repository import EnterpriseRepository as PortalRepository  # noqa: E402
from bluemap_portal.settings import PortalSettings  # noqa: E402
from bluemap_portal.site.paging import count_limit  # noqa: E402
from bluemap_records.bootstrap import bootstrap  # noqa: E402
from bluemap_records.enterprises.repository import EnterpriseRepository  # noqa: E402
from bluemap_records.settings import RecordsSettings  # noqa: E402
from bluemap_shared.db import create_engine, create_sessionmaker  # noqa: E402
from bluemap_shared.logging import configure_logging  # noqa: E402
from bluemap_shared.messaging.transport import InProcessTransport  # noqa: E402

TENANT = "bench"
# What the search page counts on its first page at the portal's defaults: as far as its links go, plus one.
_DEFAULTS = PortalSettings.model_fields
FIRST_PAGE_COUNT = count_limit(1, _DEFAULTS["page_size"].default, at_least=_DEFAULTS["search_count_limit"].default) + 1
# Words no generated name holds (checked at start), two and four characters long, and one.
ABSENT = ("熊猫", "麒麟", "凤凰", "珠峰", "昆仑", "敦煌", "长城", "黄山", "泰山", "峨眉")
ABSENT_LONG = ("熊猫电子", "麒麟软件", "凤凰传媒", "珠峰科技", "昆仑能源", "敦煌文旅", "长城汽车", "黄山旅游")
ABSENT_CHARACTERS = ("熊", "麒", "麟", "凰", "峨", "眉", "敦", "煌")
# Searches also timed with one generic plan for any words (the repository asks for a plan per search).
GENERIC_KINDS = (
    "name: a rare company's words, 4 characters (永安华山)",
    "name: absent words, 4 characters",
)


def directory(count: int, seed: int = 20261129) -> list[tuple[str, str, str | None]]:
    """(USCC, name, English name) of count enterprises, named as bench/records_data.py names them."""
    rng = random.Random(seed)
    found = []
    for number in range(count):
        region, city, city_en, _ = CITIES[number % len(CITIES)]
        brand = BRANDS[rng.randrange(len(BRANDS))] + BRANDS[rng.randrange(len(BRANDS))]
        industry, industry_en = INDUSTRIES[rng.randrange(len(INDUSTRIES))]
        suffix, suffix_en = SUFFIXES[rng.randrange(len(SUFFIXES))]
        name_en = f"{city_en} {industry_en} {number} {suffix_en}" if number % 3 else None
        found.append((uscc_of(number, region), f"{city}{brand}{industry}{suffix}", name_en))
    return found


async def load(dsn: str, enterprises: list[tuple[str, str, str | None]]) -> list[uuid.UUID]:
    """Copy the directory in (ids in creation order, as uuid7 gives them); their ids."""
    connection = await asyncpg.connect(dsn)
    try:
        now = datetime.now(UTC)
        # uuid7 layout: milliseconds, version 7, variant 2, then a counter keeps them in creation order.
        base = int(now.timestamp() * 1000) << 80 | 0x7 << 76 | 2 << 62
        ids = [uuid.UUID(int=base | i) for i in range(len(enterprises))]
        rows = [
            (ids[i], TENANT, uscc, name, name_en, None, None, "[]", "active", now, now)
            for i, (uscc, name, name_en) in enumerate(enterprises)
        ]
        columns = [
            "id", "tenant_id", "uscc", "name", "name_en", "region_code", "industry", "registered_emails", "status",
            "created_at", "updated_at",
        ]  # fmt: skip
        for start in range(0, len(rows), 100_000):
            await connection.copy_records_to_table(
                "enterprises", records=rows[start : start + 100_000], columns=columns
            )
        await connection.execute("VACUUM ANALYZE enterprises")
        await connection.execute("CHECKPOINT")  # its writes would otherwise land among the timed searches
        return ids
    finally:
        await connection.close()


async def load_portal(dsn: str, enterprises: list[tuple[str, str, str | None]]) -> None:
    """The same directory as the public portal's copy of it (portal_enterprises), analysed."""
    connection = await asyncpg.connect(dsn)
    try:
        now = datetime.now(UTC)
        rows = [
            (uuid.uuid4(), TENANT, uscc, name, name_en, uscc[2:8], now)
            for uscc, name, name_en in enterprises  # the USCC holds the region code
        ]
        columns = ["id", "tenant_id", "uscc", "name", "name_en", "region_code", "updated_at"]
        for start in range(0, len(rows), 100_000):
            chunk = rows[start : start + 100_000]
            await connection.copy_records_to_table("portal_enterprises", records=chunk, columns=columns)
        await connection.execute("VACUUM ANALYZE portal_enterprises")
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()


def portal_page_before(text_: str) -> tuple[Any, Any]:
    """The public search page's two queries as they were before commit 6c0d5cb: no index could answer them."""
    matches = or_(
        col(PortalEnterprise.name).contains(text_, autoescape=True),
        col(PortalEnterprise.name_en).icontains(text_, autoescape=True),
        col(PortalEnterprise.uscc) == text_.upper(),
    )
    where = (PortalEnterprise.tenant_id == TENANT, matches)
    count = select(func.count()).select_from(PortalEnterprise).where(*where)
    page = select(PortalEnterprise).where(*where).order_by(col(PortalEnterprise.name), col(PortalEnterprise.id))
    return count, page.limit(20)


async def portal_searches(
    url: str, terms: dict[str, list[str]], samples: int, before_samples: int
) -> dict[str, list[float]]:
    """The public search page (a count, then 20 results in name order) now and as it was, by kind of words."""
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine, service="portal")

    def now(words: list[str]) -> Callable[[int], Awaitable[None]]:
        async def page(i: int) -> None:
            async with sessionmaker() as session, session.begin():
                repository = PortalRepository(session)
                await repository.count(TENANT, text=words[i], at_most=FIRST_PAGE_COUNT)
                await repository.search(TENANT, text=words[i], offset=0, limit=20)

        return page

    def before(words: list[str]) -> Callable[[int], Awaitable[None]]:
        async def page(i: int) -> None:
            async with sessionmaker() as session, session.begin():
                count, rows = portal_page_before(words[i])
                (await session.exec(count)).one()
                (await session.exec(rows)).all()

        return page

    results: dict[str, list[float]] = {}
    try:
        for kind, words in terms.items():
            results[f"portal page, {kind}"] = await timed(samples, now(words), warmup=20)
        for kind, words in terms.items():
            results[f"portal page, {kind}, before"] = await timed(before_samples, before(words), warmup=20)
    finally:
        await engine.dispose()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300, help="samples per search kind")
    parser.add_argument(
        "--generic-queries", type=int, default=20, help="samples of the searches planned once for any words"
    )
    parser.add_argument("--dsn", help="PostgreSQL superuser DSN (default: deploy/local/servers.sh env)")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    dsn = args.dsn or admin_dsn()
    database = f"bench_search_{uuid.uuid4().hex[:8]}"
    bench_dsn, url = database_dsns(dsn, database)
    portal_database = f"{database}_portal"
    portal_dsn, portal_url = database_dsns(dsn, portal_database)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("BLUEMAP_")},
            "BLUEMAP_RECORDS_DATABASE_URL": url,
            "BLUEMAP_RECORDS_DATA_DIR": str(work),
            "BLUEMAP_RECORDS_LOG_LEVEL": "WARNING",
        }
        migrate = [sys.executable, "-m", "bluemap_records", "migrate"]
        await asyncio.to_thread(subprocess.run, migrate, env=env, check=True, capture_output=True)
        enterprises = directory(args.enterprises)
        vocabulary = "".join(name for _, name, _ in enterprises[:50_000])
        if any(word in vocabulary for word in ABSENT + ABSENT_LONG + ABSENT_CHARACTERS):
            raise SystemExit("an 'absent' word occurs in the generated names")
        started = time.perf_counter()
        ids = await load(bench_dsn, enterprises)
        print(f"loaded {len(ids):,} enterprises in {time.perf_counter() - started:.0f} s", file=sys.stderr)

        configure_logging("WARNING", json=True)
        service = bootstrap(RecordsSettings(database_url=url, data_dir=work), InProcessTransport())
        sessionmaker = service.runtime.sessionmaker
        rng = random.Random(7)
        picks = [rng.randrange(len(enterprises)) for _ in range(args.queries)]
        terms: dict[str, list[str]] = {
            "name: a common word, 2 characters (永安)": [rng.choice(BRANDS) for _ in picks],
            "name: a rare company's words, 4 characters (永安华山)": [enterprises[i][1][2:6] for i in picks],
            "name: a rare company's words, 6+ characters (永安华山化工)": [
                enterprises[i][1][2:-4].removesuffix("股份").removesuffix("集团") for i in picks
            ],
            "name: absent words, 2 characters": [ABSENT[i % len(ABSENT)] for i in range(len(picks))],
            "name: absent words, 4 characters": [ABSENT_LONG[i % len(ABSENT_LONG)] for i in range(len(picks))],
            "name: one character (化)": [rng.choice("化钢门药纸电") for _ in picks],
            "name: absent, one character": [ABSENT_CHARACTERS[i % len(ABSENT_CHARACTERS)] for i in range(len(picks))],
        }

        async def by_primary_key(i: int) -> None:
            async with sessionmaker() as session:
                assert await EnterpriseRepository(session).get(TENANT, ids[picks[i]]) is not None

        async def by_uscc(i: int) -> None:
            async with sessionmaker() as session:
                assert await EnterpriseRepository(session).get_by_uscc(TENANT, enterprises[picks[i]][0]) is not None

        def by_name(words: list[str]) -> Callable[[int], Awaitable[None]]:
            async def search(i: int) -> None:
                async with sessionmaker() as session:
                    await EnterpriseRepository(session).search(TENANT, name_contains=words[i], after=None, limit=51)

            return search

        results: dict[str, list[float]] = {
            "primary key (baseline)": await timed(args.queries, by_primary_key, warmup=20),
            "USCC": await timed(args.queries, by_uscc, warmup=20),
        }
        plans: dict[str, list[str]] = {}
        matches: dict[str, int] = {}
        async with service.runtime.engine.connect() as connection:
            for kind, words in terms.items():
                query = EnterpriseRepository.search_query(
                    TENANT, name_contains=words[0], after=None, limit=51, postgresql=True
                )
                compiled = query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})  # type: ignore[no-untyped-call]
                sql = str(compiled).replace("%%", "%")  # pyformat doubles them; exec_driver_sql does not undo it
                explained = await connection.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
                plans[kind] = [row[0] for row in explained.all()]
                held = text("SELECT count(*) FROM enterprises WHERE tenant_id = :tenant AND name LIKE :pattern")
                matches[kind] = (
                    await connection.execute(held, {"tenant": TENANT, "pattern": f"%{words[0]}%"})
                ).scalar_one()
        for kind, words in terms.items():
            results[kind] = await timed(args.queries, by_name(words), warmup=20)

        def generic(words: list[str]) -> Callable[[int], Awaitable[None]]:
            """The search with one plan for any words, as prepared statements get after five runs."""

            async def search(i: int) -> None:
                async with sessionmaker() as session, session.begin():
                    connection = await session.connection()
                    await connection.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
                    query = EnterpriseRepository.search_query(
                        TENANT, name_contains=words[i], after=None, limit=51, postgresql=True
                    )
                    (await session.exec(query)).all()

            return search

        for kind in GENERIC_KINDS:
            results[f"{kind}, one plan for any words"] = await timed(
                args.generic_queries, generic(terms[kind]), warmup=20
            )

        def like_alone(words: list[str]) -> Callable[[int], Awaitable[None]]:
            """The search as it ran for one character before the character index: LIKE, name after name."""

            async def search(i: int) -> None:
                async with sessionmaker() as session, session.begin():
                    query = EnterpriseRepository.search_query(
                        TENANT, name_contains=words[i], after=None, limit=51, postgresql=False
                    )
                    (await session.exec(query)).all()

            return search

        absent_character = "name: absent, one character"
        results[f"{absent_character}, LIKE alone (before the character index)"] = await timed(
            args.generic_queries, like_alone(terms[absent_character]), warmup=5
        )
        await service.runtime.engine.dispose()

        # The public portal's copy of the same directory, searched as its search page does.
        await admin.execute(f'CREATE DATABASE "{portal_database}"')
        portal_env = {**env, "BLUEMAP_PORTAL_DATABASE_URL": portal_url, "BLUEMAP_PORTAL_DATA_DIR": str(work)}
        migrate = [sys.executable, "-m", "bluemap_portal", "migrate"]
        await asyncio.to_thread(subprocess.run, migrate, env=portal_env, check=True, capture_output=True)
        await load_portal(portal_dsn, enterprises)
        english = [i for i in picks if enterprises[i][2]] or picks
        portal_terms = {
            **terms,
            "English words, a rare company's (Cement 452131)": [
                english_words(enterprises[english[i % len(english)]][2] or "") for i in range(len(picks))
            ],
            "USCC": [enterprises[i][0] for i in picks],
        }
        results.update(await portal_searches(portal_url, portal_terms, args.queries, args.generic_queries))
    finally:
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await admin.execute(f'DROP DATABASE IF EXISTS "{portal_database}" WITH (FORCE)')
        await admin.close()

    for kind, plan in plans.items():
        print(f"\n{kind} ({words_note(terms[kind][0], matches[kind])}):\n  " + "\n  ".join(plan), file=sys.stderr)
    baseline = results["primary key (baseline)"]
    base50, base99 = percentile(baseline, 0.5), percentile(baseline, 0.99)
    summary = {
        name: {"p50_ms": round(percentile(v, 0.5), 3), "p99_ms": round(percentile(v, 0.99), 3)}
        for name, v in results.items()
    }
    print(f"\n{args.enterprises:,} enterprises; {args.queries} samples each, a page of 50 in id order\n")
    print("| search | p50 | p99 | / primary key, p50 / p99 | first term: names holding it |\n|---|---|---|---|---|")
    for name, figures in summary.items():
        ratio = f"x{figures['p50_ms'] / base50:.2f} / x{figures['p99_ms'] / base99:.2f}"
        kind = name.removeprefix("portal page, ").split(", one plan")[0].removesuffix(", before")
        held = f"{terms[kind][0]}: {matches[kind]:,}" if kind in terms and kind in matches else ""
        print(f"| {name} | {figures['p50_ms']:.2f} ms | {figures['p99_ms']:.2f} ms | {ratio} | {held} |")
    print(
        json.dumps(
            {
                "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
                "enterprises": args.enterprises,
                "queries": summary,
                "matches_of_first_term": matches,
            },
            ensure_ascii=False,
        )
    )


def english_words(name_en: str) -> str:
    """The industry and number of an English name (Xi'an Cement 452131 Co., Ltd.): Cement 452131."""
    found = re.search(r"([A-Za-z]+) (\d+) ", name_en)
    return f"{found[1]} {found[2]}" if found else name_en


def words_note(word: str, held: int) -> str:
    return f"'{word}', in {held:,} names"


if __name__ == "__main__":
    asyncio.run(main())
