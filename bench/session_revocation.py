"""What the revocation check costs an authenticated request: GET /v1/auth/me with a token carrying a session id
(checked against revoked_sessions) vs the same request with a token without one (check skipped), in one process.

The records service in-process (ASGI, no network), on SQLite (the embedded default) and on the local PostgreSQL,
with `--revoked` rows in revoked_sessions (a busy platform's ended sessions). The two kinds of request alternate
in blocks, so both run under the same load; figures are CPU ms per request and the ratio checked / unchecked.

    .venv/bin/python bench/session_revocation.py --requests 2000 --revoked 100000
"""

import argparse
import asyncio
import secrets
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
from measure import admin_dsn, database_dsns

from bluemap_records.bootstrap import bootstrap
from bluemap_records.settings import RecordsSettings
from bluemap_shared.db import utcnow
from bluemap_shared.logging import configure_logging
from bluemap_shared.messaging.transport import InProcessTransport
from bluemap_shared.revocation import RevokedSession
from bluemap_shared.runtime import running

BLOCK = 50


def token(service, session_id: str | None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    now = int(time.time())
    claims = {"iss": "bluemap", "aud": "bluemap", "sub": str(uuid.uuid4()), "iat": now, "exp": now + 3600}
    claims |= {"tenant_id": "bench", "roles": ["reviewer"]}
    if session_id:
        claims["sid"] = session_id
    return {"Authorization": f"Bearer {service.signing_key.sign(claims)}"}


async def fill(service, count: int) -> None:  # type: ignore[no-untyped-def]
    expires = utcnow() + timedelta(hours=1)
    table = RevokedSession.__table__  # type: ignore[attr-defined]
    async with service.runtime.sessionmaker() as session, session.begin():
        for start in range(0, count, 5000):
            rows = [
                {
                    "session_id": secrets.token_urlsafe(24),
                    "tenant_id": "bench",
                    "user_id": "u",
                    "revoked_at": utcnow(),
                    "expires_at": expires,
                }
                for _ in range(min(5000, count - start))
            ]
            await session.execute(table.insert(), rows)


async def measure(settings: RecordsSettings, requests: int, revoked: int) -> tuple[float, float]:
    service = bootstrap(settings, InProcessTransport())
    async with running(service.runtime):
        await fill(service, revoked)
        checked = token(service, secrets.token_urlsafe(24))
        unchecked = token(service, None)
        cpu = {"checked": 0.0, "unchecked": 0.0}
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://records") as client:
            for headers in (checked, unchecked):  # warm-up
                for _ in range(BLOCK):
                    assert (await client.get("/v1/auth/me", headers=headers)).status_code == 200
            for block in range(max(1, requests // BLOCK)):
                for kind, headers in (("checked", checked), ("unchecked", unchecked))[:: 1 if block % 2 else -1]:
                    started = time.process_time()
                    for _ in range(BLOCK):
                        await client.get("/v1/auth/me", headers=headers)
                    cpu[kind] += time.process_time() - started
        blocks = max(1, requests // BLOCK) * BLOCK
        return cpu["checked"] * 1000 / blocks, cpu["unchecked"] * 1000 / blocks


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000, help="requests of each kind")
    parser.add_argument("--revoked", type=int, default=100_000, help="rows in revoked_sessions")
    args = parser.parse_args()
    configure_logging("WARNING", json=False)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = RecordsSettings(data_dir=Path(tmp), environment="test", log_level="WARNING", log_json=False)
        results = {"SQLite": await measure(sqlite, args.requests, args.revoked)}
        admin = admin_dsn()
        name = f"bench_revocation_{uuid.uuid4().hex[:8]}"
        connection = await asyncpg.connect(admin)
        await connection.execute(f"CREATE DATABASE {name}")
        try:
            _, url = database_dsns(admin, name)
            postgres = RecordsSettings(
                data_dir=Path(tmp), environment="test", database_url=url, log_level="WARNING", log_json=False
            )
            results["PostgreSQL"] = await measure(postgres, args.requests, args.revoked)
        finally:
            await connection.execute(f"DROP DATABASE {name} WITH (FORCE)")
            await connection.close()
    print(f"{args.requests} requests of each kind, {args.revoked:,} revoked sessions listed")
    print("| database | with sid (checked) | without sid | ratio |")
    print("|---|---|---|---|")
    for database, (checked, unchecked) in results.items():
        print(f"| {database} | {checked:.3f} ms CPU | {unchecked:.3f} ms CPU | {checked / unchecked:.2f} |")


if __name__ == "__main__":
    asyncio.run(main())
