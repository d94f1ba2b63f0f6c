"""Fixtures of the notifications tests: a running service on a fresh database, a real HTTP server for PDFs."""

import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from notifications_testing import ISSUER, FileServer, Start

from bluemap_notifications.bootstrap import NotificationsService, bootstrap
from bluemap_notifications.emails.dispatcher import Mailer
from bluemap_notifications.settings import NotificationsSettings
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.runtime import running


@pytest.fixture
def start(create_database: Callable[[str], Awaitable[str]], servers: dict[str, str]) -> Start:
    """Context manager factory: a running notifications service on a fresh database (or the one given)."""

    @asynccontextmanager
    async def started(*, mailer: Mailer | None = None, **overrides: Any) -> AsyncIterator[NotificationsService]:
        fields: dict[str, Any] = {
            "database_url": overrides.pop("database_url", None) or await create_database("notifications"),
            "smtp_host": servers["BLUEMAP_SMTP_HOST"],
            "smtp_port": int(servers["BLUEMAP_SMTP_PORT"]),
            "portal_base_url": "https://portal.example.org",
            "send_backoff_seconds": 0.05,
            "send_poll_interval": 0.1,
            # Digest windows close quickly here; their own tests set what they need.
            "digest_quiet_seconds": 0.2,
            "digest_poll_interval": 0.05,
            "log_json": False,
        }
        settings = NotificationsSettings(**(fields | overrides))
        svc = bootstrap(settings, InProcessTransport(), token_verifier=ISSUER.verifier, mailer=mailer)
        async with running(svc.runtime):
            yield svc

    return started


@pytest.fixture(scope="session")
def file_server() -> Iterator[FileServer]:
    state = FileServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = state.answer(self.path.split("?", 1)[0])
            self.send_response(status)
            self.send_header("Content-Type", "application/pdf" if status == 200 else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
