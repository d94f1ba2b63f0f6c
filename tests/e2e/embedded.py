"""Runs the embedded default (`python -m bluemap_embedded`) as a subprocess on free ports with a fresh data dir."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.platform import SERVICES, free_port


@dataclass(frozen=True)
class Embedded:
    """The whole platform in one process: one port for every API and the site, a Maildir for its mail."""

    data_dir: Path
    port: int
    smtp_port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, service: str) -> str:
        return f"{self.url}/api/{service}"

    @property
    def maildir(self) -> Path:
        return self.data_dir / "mail"

    def tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_ready(embedded: Embedded, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bluemap_embedded exited with {process.returncode}:\n{embedded.tail()}")
        try:
            # Serving starts once the lifespan ran: migrations done, demo loaded.
            ready = [httpx.get(f"{embedded.api(s)}/readyz", timeout=2).status_code for s in SERVICES]
            if all(status == 200 for status in ready):
                return
            last = repr(ready)
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.3)
    raise RuntimeError(f"bluemap_embedded not ready after {timeout}s: {last}\n{embedded.tail()}")


@contextmanager
def running_embedded(workdir: Path, *, demo: bool = True, timeout: float = 120.0) -> Iterator[Embedded]:
    """Start the embedded default in a fresh data dir under workdir; stop it on exit."""
    embedded = Embedded(
        data_dir=workdir / "data", port=free_port(), smtp_port=free_port(), log_path=workdir / "embedded.log"
    )
    # Its settings are passed as flags; no BLUEMAP_* of the caller's environment may override them.
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLUEMAP_")}
    command = [
        sys.executable,
        "-m",
        "bluemap_embedded",
        "--data-dir",
        str(embedded.data_dir),
        "--port",
        str(embedded.port),
        "--smtp-port",
        str(embedded.smtp_port),
    ]
    if not demo:
        command.append("--no-demo")
    with embedded.log_path.open("ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(embedded, process, timeout)
        yield embedded
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def print_log_tail_if_failed(request: pytest.FixtureRequest, embedded: Embedded) -> None:
    """After a test: the embedded process's log tail when the test failed (a module's `_service_logs_on_failure`)."""
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"\n----- bluemap_embedded log tail -----\n{embedded.tail()}")
