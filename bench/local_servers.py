"""The local servers of `deploy/local/servers.sh` and fresh databases on them, for the benchmarks."""

import os
import re
import shlex
import subprocess
from pathlib import Path

import asyncpg

REPO = Path(__file__).resolve().parents[1]


def server_env() -> dict[str, str]:
    """The local servers' settings, as `deploy/local/servers.sh env` prints them (started if need be).

    With BLUEMAP_TEST_SERVERS=external, as for the tests, the BLUEMAP_* variables already name running
    servers (another checkout's): they are used as they are and nothing is started.
    """
    if os.environ.get("BLUEMAP_TEST_SERVERS") == "external":
        return {name: value for name, value in os.environ.items() if name.startswith("BLUEMAP_")}
    script = REPO / "deploy" / "local" / "servers.sh"
    subprocess.run(["bash", str(script), "start"], check=True, capture_output=True)
    out = subprocess.run(["bash", str(script), "env"], check=True, capture_output=True, text=True).stdout
    env = {}
    for line in out.splitlines():
        match = re.match(r"export (\w+)=(.*)", line.strip())
        if match:
            env[match[1]] = shlex.split(match[2])[0] if match[2] else ""
    return env


async def _as_admin(admin_dsn: str, statement: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def create_database(admin_dsn: str, name: str) -> str:
    """A fresh database; its SQLAlchemy asyncpg URL."""
    await _as_admin(admin_dsn, f'CREATE DATABASE "{name}"')
    return f"{admin_dsn.rpartition('/')[0]}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)


async def drop_database(admin_dsn: str, name: str) -> None:
    await _as_admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
