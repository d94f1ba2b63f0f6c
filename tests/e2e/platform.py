"""Runs each service as its own OS process on the real servers, like a distributed deployment."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVICES = {
    "records": ("bluemap_records", "BLUEMAP_RECORDS_"),
    "explanations": ("bluemap_explanations", "BLUEMAP_EXPLANATIONS_"),
    "documents": ("bluemap_documents", "BLUEMAP_DOCUMENTS_"),
    "notifications": ("bluemap_notifications", "BLUEMAP_NOTIFICATIONS_"),
    "public-portal": ("bluemap_portal", "BLUEMAP_PORTAL_"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Platform:
    """Five service processes sharing one Kafka namespace, each with its own database."""

    servers: dict[str, str]
    databases: dict[str, str]
    workdir: Path
    namespace: str
    bucket: str
    ports: dict[str, int] = field(default_factory=lambda: {name: free_port() for name in SERVICES})
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # Services whose outbox a `relay` process publishes (key "<service>.relay" in processes), not `serve`.
    relays_apart: frozenset[str] = frozenset()

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def api(self, service: str) -> str:
        return f"{self.url(service)}/api/{service}"

    def env(self, service: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        _, prefix = SERVICES[service]
        env = {k: v for k, v in os.environ.items() if not k.startswith("BLUEMAP_")}
        settings = {
            "ENVIRONMENT": "test",
            "DATABASE_URL": self.databases[service],
            "DATA_DIR": str(self.workdir / service),
            "TRANSPORT": "kafka",
            "KAFKA_BOOTSTRAP": self.servers["BLUEMAP_KAFKA_BOOTSTRAP"],
            "KAFKA_NAMESPACE": self.namespace,
            "JWKS_URL": f"{self.api('records')}/.well-known/jwks.json",
            "OUTBOX_POLL_INTERVAL": "0.5",
            "CONSUMER_BACKOFF_SECONDS": "0.05",
            # Nothing balances load in front of the test processes: no need to wait before closing.
            "SHUTDOWN_DRAIN_SECONDS": "0",
            # Each test module has topics of its own: a few partitions keep their creation cheap.
            "KAFKA_TOPIC_PARTITIONS": "3",
        }
        if service == "documents":
            settings |= {
                "STORAGE_BACKEND": "s3",
                "S3_ENDPOINT": self.servers["BLUEMAP_S3_ENDPOINT"],
                "S3_ACCESS_KEY": self.servers["BLUEMAP_S3_ACCESS_KEY"],
                "S3_SECRET_KEY": self.servers["BLUEMAP_S3_SECRET_KEY"],
                "S3_BUCKET": self.bucket,
                # Capability download URLs (PdfRendered) and verification QR codes point at these.
                "PUBLIC_API_URL": self.api("documents"),
                "PUBLIC_BASE_URL": self.url("public-portal"),
            }
        if service == "notifications":
            settings |= {
                "SMTP_HOST": self.servers["BLUEMAP_SMTP_HOST"],
                "SMTP_PORT": self.servers["BLUEMAP_SMTP_PORT"],
                "PORTAL_BASE_URL": self.url("public-portal"),
                "SEND_BACKOFF_SECONDS": "0.2",
                "SEND_POLL_INTERVAL": "0.5",
                # A digest window closes a second after its last record, not the production minute.
                "DIGEST_QUIET_SECONDS": "1",
                "DIGEST_POLL_INTERVAL": "0.2",
            }
        if service == "public-portal":
            settings |= {
                # Public download links on the portal's pages, and the APIs its workspace calls.
                "DOCUMENTS_PUBLIC_BASE_URL": self.api("documents"),
                "RECORDS_API_URL": self.api("records"),
                "EXPLANATIONS_API_URL": self.api("explanations"),
                "DOCUMENTS_API_URL": self.api("documents"),
                "NOTIFICATIONS_API_URL": self.api("notifications"),
            }
        env |= {prefix + k: v for k, v in settings.items()}
        env["BLUEMAP_FAILPOINT_DIR"] = str(self.workdir / "failpoints")
        env |= extra or {}
        return env

    def log_path(self, service: str) -> Path:
        return self.workdir / f"{service}.log"

    def start(self, service: str, *, extra_env: dict[str, str] | None = None, wait: bool = True) -> None:
        package, prefix = SERVICES[service]
        env = self.env(service, extra_env)
        log = self.log_path(service).open("ab")
        if service in self.relays_apart:
            env[prefix + "OUTBOX_RELAY_IN_PROCESS"] = "false"
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", package, "serve", "--port", str(self.ports[service])],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        relay = self.processes.get(f"{service}.relay")
        if service in self.relays_apart and (relay is None or relay.poll() is not None):  # not when restarting serve
            self.processes[f"{service}.relay"] = subprocess.Popen(
                [sys.executable, "-m", package, "relay"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        if wait:
            self.wait_ready(service)

    def wait_ready(self, service: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            process = self.processes[service]
            if process.poll() is not None:
                raise RuntimeError(f"{service} exited with {process.returncode}:\n{self.tail(service)}")
            try:
                response = httpx.get(f"{self.api(service)}/readyz", timeout=2)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.3)
        raise RuntimeError(f"{service} not ready after {timeout}s: {last}\n{self.tail(service)}")

    def kill(self, service: str) -> None:
        """kill -9: no shutdown hooks, no flushing, like a crashed machine."""
        process = self.processes.pop(service)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def tail(self, service: str, lines: int = 40) -> str:
        path = self.log_path(service)
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def create_tenant(self, tenant: str) -> None:
        """Register the tenant (on this machine's hosts, the platform's names and sender) unless it exists."""
        command = ["tenants", "create", tenant, "--name-zh", "蔚蓝地图", "--name-en", "Blue Map"]
        command += ["--hostname", "127.0.0.1", "--hostname", "localhost"]
        command += ["--mail-sender-name", "Blue Map 蔚蓝地图", "--mail-sender-address", "noreply@bluemap.example.org"]
        # `--admin-password=...`: a random password may start with "-", which argparse takes for an option.
        command += [
            "--admin-email",
            f"first-admin@{tenant}.example.org",
            f"--admin-password={secrets.token_urlsafe(18)}",
        ]
        result = subprocess.run(
            [sys.executable, "-m", "bluemap_records", *command],
            env=self.env("records"),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 and "already exists" not in result.stderr:
            raise RuntimeError(f"tenants create {tenant} failed: {result.stderr}")

    def create_user(self, *args: str) -> str:
        """`create-user` with args; its --tenant is registered first (create-user refuses unknown tenants)."""
        if "--tenant" in args:
            self.create_tenant(args[args.index("--tenant") + 1])
        result = subprocess.run(
            [sys.executable, "-m", "bluemap_records", "create-user", *args],
            env=self.env("records"),
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip().splitlines()[-1]


@contextmanager
def running_platform(platform: Platform) -> Iterator[Platform]:
    try:
        for service in SERVICES:
            platform.start(service, wait=False)
        for service in SERVICES:
            platform.wait_ready(service)
        yield platform
    finally:
        platform.stop_all()
