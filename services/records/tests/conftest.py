"""Fixtures of the records tests: the service on a fresh PostgreSQL database, in-process."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from records_testing import Running

from bluemap_records.bootstrap import bootstrap
from bluemap_records.settings import RecordsSettings
from bluemap_shared.messaging.transport import InProcessTransport
from bluemap_shared.runtime import running


@asynccontextmanager
async def serve(settings: RecordsSettings) -> AsyncIterator[Running]:
    """The service running in-process on settings, with a client of its API."""
    service = bootstrap(settings, InProcessTransport())
    async with (
        running(service.runtime),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://records") as client,
    ):
        yield Running(service=service, client=client)


@pytest.fixture(scope="module")
async def records_database(create_database: Callable[[str], Awaitable[str]]) -> str:
    return await create_database("records")


@pytest.fixture(scope="module")
async def records(records_database: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    """The service on its own PostgreSQL database; tests keep apart by tenant."""
    settings = RecordsSettings(
        database_url=records_database,
        data_dir=tmp_path_factory.mktemp("records"),
        environment="test",
        outbox_poll_interval=0.2,
    )
    async with serve(settings) as running_service:
        yield running_service


@pytest.fixture
def records_with(records_database: str, tmp_path: Path) -> Callable[..., AbstractAsyncContextManager[Running]]:
    """Another instance of the service on the same database, with settings of the test's own."""

    def make(**overrides: Any) -> AbstractAsyncContextManager[Running]:
        settings = RecordsSettings(database_url=records_database, data_dir=tmp_path, environment="test", **overrides)
        return serve(settings)

    return make


@pytest.fixture
def tenant() -> str:
    """A tenant of this test alone."""
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> RecordsSettings:
    return RecordsSettings(data_dir=tmp_path, environment="test")
