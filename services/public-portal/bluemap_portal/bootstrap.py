"""Composition root of the public portal."""

from dataclasses import dataclass

from fastapi import FastAPI

from bluemap_portal.enterprises.endpoints import router as enterprises_router
from bluemap_portal.projections import register_handlers
from bluemap_portal.settings import PortalSettings
from bluemap_portal.site.app import create_site
from bluemap_shared.auth import TokenVerifier
from bluemap_shared.cli import transport_for
from bluemap_shared.http import create_service_app
from bluemap_shared.messaging.transport import Transport
from bluemap_shared.runtime import ServiceRuntime

NAME = "public-portal"


@dataclass
class PortalService:
    runtime: ServiceRuntime
    app: FastAPI
    site: FastAPI


def bootstrap(
    settings: PortalSettings | None = None,
    transport: Transport | None = None,
    *,
    token_verifier: TokenVerifier | None = None,
) -> PortalService:
    """Wire the portal; its pages and API are public, token_verifier only serves operator endpoints to come."""
    settings = settings or PortalSettings()
    runtime = ServiceRuntime.build(
        NAME,
        "bluemap_portal",
        settings,
        transport or transport_for(settings, f"bluemap-{NAME}"),
        token_verifier=token_verifier,
    )
    register_handlers(runtime.consumer)
    app = create_service_app(
        runtime,
        title="Blue Map public portal",
        description="Public, read-only API of enterprises and the government records about them; no login.",
        routers=[enterprises_router],
    )
    return PortalService(runtime=runtime, app=app, site=create_site(runtime))
