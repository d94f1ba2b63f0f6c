"""Fixtures of the portal tests: a running portal on a fresh PostgreSQL database."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from portal_testing import Start

from bluemap_portal.bootstrap import PortalService, bootstrap
from bluemap_portal.settings import PortalSettings
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.runtime import running


@pytest.fixture
def start(create_database: Callable[[str], Awaitable[str]]) -> Start:
    """Context manager factory: a running portal on a fresh database."""

    @asynccontextmanager
    async def started(**overrides: Any) -> AsyncIterator[PortalService]:
        fields: dict[str, Any] = {
            "database_url": await create_database("portal"),
            "tenant_hosts": {"Demo.Example.org": "demo"},
            "log_json": False,
        }
        svc = bootstrap(PortalSettings(**(fields | overrides)), InProcessTransport())
        async with running(svc.runtime):
            yield svc

    return started
