"""Does a stream of failed logins slow the other requests of the process? argon2 in its pool vs on the loop.

The records service on SQLite in this process (as in the embedded default), served by uvicorn on a free
loopback port. `--clients` clients loop failed logins (throttling off, so every one runs argon2) while
one client times GET /healthz; before that the same /healthz loop runs on an idle server. Two rounds:
the service as it is (PasswordHashing: argon2 in its thread pool) and with verification put back on the
event loop (as before issue 16). Figures: /healthz median and p90 under load as ratios to idle.

    .venv/bin/python bench/login_event_loop.py --clients 4 --probes 200
"""

import argparse
import asyncio
import socket
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import uvicorn

from bluemap_records.bootstrap import bootstrap
from bluemap_records.identity.passwords import PasswordHashing
from bluemap_records.settings import RecordsSettings
from bluemap_shared.auth import ADMIN
from bluemap_shared.logging import configure_logging
from bluemap_shared.messaging.transport import InProcessTransport
from bluemap_shared.runtime import running

PASSWORD = "bench-password-long"


class OnTheLoop(PasswordHashing):
    """Verification as it was before: argon2 called on the event loop."""

    async def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            self._hasher.verify(password_hash or self._hasher.hash("not-a-real-password"), password)
        except Exception:
            return False
        return password_hash is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def probe(base: str, count: int) -> list[float]:
    timings = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for _ in range(count):
            started = time.perf_counter()
            (await client.get("/healthz")).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    return timings


async def fail_logins(base: str, tenant: str, email: str, stop: asyncio.Event) -> int:
    done = 0
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while not stop.is_set():
            response = await client.post(
                "/v1/auth/token", data={"username": email, "password": "wrong-password", "tenant": tenant}
            )
            assert response.status_code == 401, response.text
            done += 1
    return done


async def measure(passwords: PasswordHashing, clients: int, probes: int) -> dict[str, float]:
    data = Path(tempfile.mkdtemp(prefix="bench_login_"))
    settings = RecordsSettings(
        data_dir=data, environment="test", login_free_failures_per_account=10**9, login_free_failures_per_address=10**9
    )
    service = bootstrap(settings, InProcessTransport())
    service.app.state.passwords = passwords
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(service.app, host="127.0.0.1", port=port, log_config=None))
    base = f"http://127.0.0.1:{port}"
    async with running(service.runtime):
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn's flag has no event to wait on
            await asyncio.sleep(0.05)
        tenant = f"bench-{uuid.uuid4().hex[:6]}"
        email = f"bench-{uuid.uuid4().hex[:6]}@example.org"
        claims = {"iss": "bluemap", "aud": "bluemap", "sub": "bench", "iat": int(time.time())}
        token = service.signing_key.sign(
            {**claims, "exp": int(time.time()) + 600, "tenant_id": tenant, "roles": [ADMIN]}
        )
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            created = await client.post(
                "/v1/users",
                json={"email": email, "password": PASSWORD, "roles": ["reviewer"]},
                headers={"Authorization": f"Bearer {token}"},
            )
            created.raise_for_status()
        idle = await probe(base, probes)
        stop = asyncio.Event()
        load = [asyncio.create_task(fail_logins(base, tenant, email, stop)) for _ in range(clients)]
        await asyncio.sleep(1.0)
        started = time.perf_counter()
        loaded = await probe(base, probes)
        elapsed = time.perf_counter() - started
        stop.set()
        logins = sum(await asyncio.gather(*load))
        server.should_exit = True
        await serving
    return {
        "idle_median_ms": statistics.median(idle),
        "loaded_median_ms": statistics.median(loaded),
        "loaded_p90_ms": percentile(loaded, 0.9),
        "idle_p90_ms": percentile(idle, 0.9),
        "logins_per_s": logins / (elapsed + 1.0),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2, help="password_hash_threads of the pooled round")
    args = parser.parse_args()
    configure_logging("WARNING", False)
    for label, passwords in (("pool", PasswordHashing(args.threads)), ("on the loop", OnTheLoop(1))):
        figures = await measure(passwords, args.clients, args.probes)
        print(
            f"{label:12} /healthz idle median {figures['idle_median_ms']:.1f} ms, "
            f"under {args.clients} login loops median {figures['loaded_median_ms']:.1f} ms "
            f"(x{figures['loaded_median_ms'] / figures['idle_median_ms']:.1f}), "
            f"p90 {figures['loaded_p90_ms']:.1f} ms (x{figures['loaded_p90_ms'] / figures['idle_p90_ms']:.1f}); "
            f"{figures['logins_per_s']:.1f} failed logins/s"
        )


if __name__ == "__main__":
    asyncio.run(main())
