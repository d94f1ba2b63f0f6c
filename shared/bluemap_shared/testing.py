"""Pytest plugin: real servers for integration tests, fresh databases, token helpers.

The session starts PostgreSQL, Kafka, an S3 server and Mailpit through deploy/local/servers.sh
(unless BLUEMAP_TEST_SERVERS=external, when the BLUEMAP_* variables already point at them).
"""

import asyncio
import json
import os
import re
import shlex
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bluemap_shared.auth import ENTERPRISE, StaticJwks, TokenVerifier

REPO = Path(__file__).resolve().parents[2]
SERVERS = REPO / "deploy" / "local" / "servers.sh"


def _server_env() -> dict[str, str]:
    out = subprocess.run(["bash", str(SERVERS), "env"], check=True, capture_output=True, text=True).stdout
    env: dict[str, str] = {}
    for line in out.splitlines():
        match = re.match(r"export (\w+)=(.*)", line.strip())
        if match:
            env[match[1]] = shlex.split(match[2])[0] if match[2] else ""
    return env


@pytest.fixture(scope="session")
def servers() -> Iterator[dict[str, str]]:
    """Connection settings of the real servers; started here unless told they run already."""
    if os.environ.get("BLUEMAP_TEST_SERVERS") != "external":
        subprocess.run(["bash", str(SERVERS), "start"], check=True)
    env = _server_env()
    env.update({k: v for k, v in os.environ.items() if k.startswith("BLUEMAP_") and k in env})
    yield env


def _asyncpg_dsn(dsn: str, database: str) -> str:
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{database}"


@pytest.fixture(scope="session")
def create_database(servers: dict[str, str]) -> Iterator[Callable[[str], Awaitable[str]]]:
    """Factory: a fresh PostgreSQL database per call, as a SQLAlchemy asyncpg URL; dropped at the end."""
    admin_dsn = servers["BLUEMAP_PG_DSN"]
    created: list[str] = []

    async def create(prefix: str) -> str:
        name = f"t_{prefix}_{uuid.uuid4().hex[:10]}"
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        created.append(name)
        return _asyncpg_dsn(admin_dsn, name).replace("postgresql://", "postgresql+asyncpg://", 1)

    yield create

    async def drop_all() -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            for name in created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop_all())


class TokenIssuer:
    """Signs tokens with a key generated for the test session; the service trusts only it."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        self.kid = "test-key"
        self.verifier = TokenVerifier(
            StaticJwks({"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}),
            issuer="bluemap",
            audience="bluemap",
        )

    def token(
        self,
        tenant_id: str,
        roles: list[str],
        enterprise_id: UUID | None = None,
        subject: str = "",
        email: str = "",
        session_id: str = "",
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": "bluemap",
            "aud": "bluemap",
            "sub": subject or f"user-{uuid.uuid4().hex[:8]}",
            "iat": now,
            "exp": now + 600,
            "tenant_id": tenant_id,
            "roles": roles,
            "enterprise_id": str(enterprise_id) if enterprise_id else None,
        }
        if email:
            claims["email"] = email
        if session_id:
            claims["sid"] = session_id
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def headers(
        self, tenant_id: str, roles: list[str], enterprise_id: UUID | None = None, subject: str = "", email: str = ""
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(tenant_id, roles, enterprise_id, subject, email)}"}

    def staff(self, tenant_id: str, enterprise_id: UUID, subject: str = "") -> dict[str, str]:
        return self.headers(tenant_id, [ENTERPRISE], enterprise_id, subject)


class Mailpit:
    """Reads mail back from Mailpit's REST API."""

    def __init__(self, api: str) -> None:
        self.api = api.rstrip("/")

    async def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=10) as client:
            params = {"query": f"to:{to}"} if to else None
            path = "/api/v1/search" if to else "/api/v1/messages"
            response = await client.get(self.api + path, params=params)
            response.raise_for_status()
            return list(response.json().get("messages") or [])

    async def message(self, message_id: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(f"{self.api}/api/v1/message/{message_id}")
            response.raise_for_status()
            return dict(response.json())

    async def wait_for(self, to: str, *, count: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Wait until `to` has at least count messages; return them."""
        deadline = time.monotonic() + timeout
        while True:
            found = await self.messages(to)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.2)


async def fill_and_settle(url: str, insert: str, table: str) -> None:
    """Run insert, then VACUUM ANALYZE table: settled as autovacuum leaves it, for tests that read plans.

    GIN entries a bulk insert left pending make the indexes look dear to the planner until a vacuum.
    """
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await connection.execute(insert)
        await connection.execute(f"VACUUM ANALYZE {table}")
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def mailpit(servers: dict[str, str]) -> Mailpit:
    return Mailpit(servers["BLUEMAP_MAILPIT_API"])


async def eventually(check: Callable[[], Awaitable[Any]], *, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll check until it returns a truthy value; fail with its last value or error."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = await check()
            if last:
                return last
        except AssertionError as exc:
            last = exc
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last: {last!r}")


@pytest.fixture(params=["postgresql", "sqlite"])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], Awaitable[str]]:
    """Factory of fresh databases of both run modes: PostgreSQL (a new database), SQLite (a new file)."""
    if request.param == "postgresql":
        create: Callable[[str], Awaitable[str]] = request.getfixturevalue("create_database")
        return create

    async def sqlite_file(prefix: str) -> str:
        return f"sqlite+aiosqlite:///{tmp_path / f'{prefix}-{uuid.uuid4().hex[:8]}.db'}"

    return sqlite_file


@pytest.fixture
async def kafka_topic_prefix() -> AsyncIterator[str]:
    yield f"t{uuid.uuid4().hex[:8]}"
