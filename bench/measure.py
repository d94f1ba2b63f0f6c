"""What the database benchmarks share: the local PostgreSQL's admin DSN, timing loops, percentiles."""

import re
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def admin_dsn() -> str:
    """The superuser DSN of deploy/local/servers.sh's PostgreSQL."""
    out = subprocess.run(
        ["bash", str(REPO / "deploy/local/servers.sh"), "env"], check=True, capture_output=True, text=True
    ).stdout
    match = re.search(r"BLUEMAP_PG_DSN=['\"]?([^'\"\s]+)", out)
    if not match:
        raise SystemExit("no BLUEMAP_PG_DSN from deploy/local/servers.sh env; pass --dsn")
    return match[1]


def database_dsns(admin: str, name: str) -> tuple[str, str]:
    """Database name on admin's server: its asyncpg DSN and its SQLAlchemy URL."""
    dsn = f"{admin.rpartition('/')[0]}/{name}"
    return dsn, dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def timed(samples: int, work: Callable[[int], Awaitable[Any]], *, warmup: int = 50) -> list[float]:
    """Latencies in ms of work(i) for i in range(samples), after a short warm-up."""
    for i in range(min(warmup, samples)):
        await work(i)
    latencies = []
    for i in range(samples):
        started = time.perf_counter()
        await work(i)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies
