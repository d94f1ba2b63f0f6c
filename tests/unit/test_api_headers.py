"""The services' API apps in production: no /docs unless enabled, security headers, HSTS behind https."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bluemap_explanations.bootstrap import bootstrap
from bluemap_explanations.settings import ExplanationsSettings
from bluemap_portal.bootstrap import bootstrap as portal_bootstrap
from bluemap_portal.settings import PortalSettings
from bluemap_shared.messaging.transport import InProcessTransport

PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "database_url": "postgresql+asyncpg://bluemap@127.0.0.1:1/none",  # never reached: /healthz needs no database
    "transport": "kafka",
    "public_base_url": "https://bluemap.example.org",
}
DOCS = ("/docs", "/redoc", "/openapi.json")


async def client_of(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    service = bootstrap(ExplanationsSettings(**settings), InProcessTransport())
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://explanations") as client:
        yield client
    await service.runtime.engine.dispose()


@pytest.fixture
async def production() -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_of(**PRODUCTION):
        yield client


async def test_production_serves_no_api_documentation(production: httpx.AsyncClient) -> None:
    for path in DOCS:
        response = await production.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


async def test_production_serves_the_documentation_when_told_to() -> None:
    async for client in client_of(**PRODUCTION, api_docs_in_production=True):
        for path in DOCS:
            assert (await client.get(path)).status_code == 200, path


async def test_api_answers_carry_security_headers_and_hsts_behind_https(production: httpx.AsyncClient) -> None:
    for response in (await production.get("/healthz"), await production.get("/no-such-path")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_no_hsts_while_a_public_url_is_plain_http() -> None:
    async for client in client_of(environment="test"):
        response = await client.get("/healthz")
        assert "strict-transport-security" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
        assert (await client.get("/docs")).status_code == 200


async def test_the_portals_site_gets_hsts_behind_https() -> None:
    for public, hsts in (("https://bluemap.example.org", True), ("http://bluemap.example.org", False)):
        settings = PortalSettings(
            **{**PRODUCTION, "public_base_url": public, "documents_public_base_url": f"{public}/api/documents"}
        )
        portal = portal_bootstrap(settings, InProcessTransport())
        transport = httpx.ASGITransport(app=portal.site)
        async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
            response = await client.get("/static/no-such-file.css")
        await portal.runtime.engine.dispose()
        assert ("strict-transport-security" in response.headers) is hsts, public
        assert response.headers["x-content-type-options"] == "nosniff"
