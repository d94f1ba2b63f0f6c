"""Fixtures of the portal tests: a running portal on a fresh PostgreSQL database."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from portal_testing import TENANT_HOSTS, Start, feed, tenant_configured

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
            "log_json": False,
        }
        svc = bootstrap(PortalSettings(**(fields | overrides)), InProcessTransport())
        async with running(svc.runtime):
            # Two tenants, each on its own host: every test reads the one it means by its Host.
            await feed(svc, *(tenant_configured(tenant) for tenant in TENANT_HOSTS))
            yield svc

    return started
