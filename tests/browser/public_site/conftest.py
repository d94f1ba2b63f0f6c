"""Fixtures of the public site's browser tests (their own folder: tests/browser/conftest.py is shared).

The portal alone is served by uvicorn on a fresh PostgreSQL database and fed realistic demo events; Playwright
drives Debian's Chromium (/usr/bin/chromium, BLUEMAP_CHROMIUM to override) and never downloads a browser;
axe-core comes from npm into .cache/node/ the first time it is missing.
"""

import asyncio
import os
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.routing import Mount

from bluemap_portal.bootstrap import bootstrap
from bluemap_portal.settings import PortalSettings
from bluemap_shared.http import standalone_app
from bluemap_shared.messaging import InProcessTransport
from tests.browser.demo import Demo, demo

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("BLUEMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real browser (Chromium through Playwright)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Portal:
    """The portal as the browser sees it, and the demo data it was fed."""

    url: str
    demo: Demo

    def at(self, path: str) -> str:
        return self.url + path


class ServerThread:
    """uvicorn serving an app on its own event loop in a thread, as a real server would."""

    def __init__(self, app: Any, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.server.serve(),), daemon=True)

    async def start(self) -> None:
        self.thread.start()
        for _ in range(300):
            if self.server.started:
                return
            if not self.thread.is_alive():
                raise RuntimeError("the portal did not start")
            await asyncio.sleep(0.05)
        raise RuntimeError("the portal did not start within 15 s")

    async def run(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run work on the server's loop (its database connections live there)."""
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work(), self.loop))

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture(scope="module")
async def portal(create_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[Portal]:
    """The portal alone (distributed mode's app) on a fresh database, fed the demo events."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = PortalSettings(
        environment="test",
        database_url=await create_database("browser"),
        documents_public_base_url=f"{url}/api/documents",
        page_size=5,
        log_json=False,
        log_level="WARNING",
    )
    service = bootstrap(settings, InProcessTransport())
    server = ServerThread(standalone_app(service.runtime, service.app, extra=[Mount("/", app=service.site)]), port)
    await server.start()
    data = demo()

    async def feed() -> None:
        for envelope in data.envelopes():
            await service.runtime.consumer.process(envelope.to_message())

    try:
        await server.run(feed)
        yield Portal(url=url, demo=data)
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """Debian's Chromium, headless, launched once for the session."""
    playwright_api = pytest.importorskip("playwright.async_api", reason="pip install playwright (a test requirement)")
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 (once, before anything runs)
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set BLUEMAP_CHROMIUM)")
    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    """A fresh browser profile (no cookies) in a desktop window, with a Chinese browser."""
    context = await browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, extra_http_headers={"Accept-Language": "zh-CN,zh"}
    )
    opened = await context.new_page()
    opened.set_default_timeout(15_000)
    try:
        yield opened
    finally:
        await context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], Awaitable[None]]:
    """screenshot(page, step): a full-page PNG under test-artifacts/browser/, named after the test and step."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test = request.node.name.removeprefix("test_")

    async def screenshot(page: Any, step: str) -> None:
        await page.screenshot(path=str(ARTIFACTS / f"{test}--{step}.png"), full_page=True)

    return screenshot
