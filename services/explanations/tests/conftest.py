"""Fixtures of the explanations tests: a token issuer of our own and the service on real PostgreSQL."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from explanations_testing import Running

from bluemap_explanations.bootstrap import bootstrap
from bluemap_explanations.settings import ExplanationsSettings
from bluemap_shared.messaging.transport import InProcessTransport
from bluemap_shared.runtime import running
from bluemap_shared.testing import TokenIssuer as Issuer


@pytest.fixture(scope="session")
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture(scope="module")
async def explanations(create_database: Callable[[str], Awaitable[str]], issuer: Issuer) -> AsyncIterator[Running]:
    """The service on a fresh PostgreSQL database, in-process; tests isolate themselves by tenant."""
    url = await create_database("explanations")
    settings = ExplanationsSettings(
        database_url=url,
        environment="test",
        consumer_backoff_seconds=0.01,
        # The test client connects from 127.0.0.1, an untrusted peer; a 10.x peer is a trusted proxy.
        trusted_proxies=["10.0.0.0/8"],
    )
    service = bootstrap(settings, InProcessTransport(), token_verifier=issuer.verifier)
    async with (
        running(service.runtime),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://explanations") as client,
    ):
        yield Running(service=service, client=client)


@pytest.fixture
def tenant() -> str:
    """A tenant of this test alone."""
    return f"t-{uuid.uuid4().hex[:12]}"
