"""Composition root of the public portal."""

from dataclasses import dataclass

from fastapi import FastAPI

from bluemap_portal.categories.endpoints import router as categories_router
from bluemap_portal.console.app import install_console
from bluemap_portal.documents.endpoints import router as verification_router
from bluemap_portal.enterprises.endpoints import router as enterprises_router
from bluemap_portal.opendata.builder import OpenDataBuilder
from bluemap_portal.opendata.endpoints import router as open_data_router
from bluemap_portal.projections import register_handlers
from bluemap_portal.settings import PortalSettings
from bluemap_portal.site.app import create_site
from bluemap_portal.workspace.app import install_workspace
from bluemap_shared.auth import TokenVerifier
from bluemap_shared.body_limit import BodyLimit
from bluemap_shared.cli import transport_for
from bluemap_shared.http import StrictTransportSecurity, create_service_app
from bluemap_shared.messaging.transport import Transport
from bluemap_shared.runtime import ServiceRuntime
from bluemap_shared.tracing import instrument_app

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
        description=(
            "Public, read-only API of enterprises, the government records about them, their published "
            "explanations and documents, category pages and document verification; no login."
        ),
        routers=[enterprises_router, categories_router, verification_router],
    )
    site = create_site(runtime)
    open_data = OpenDataBuilder(
        runtime.sessionmaker, settings.open_data_folder, interval_seconds=settings.open_data_interval_seconds
    )
    site.state.open_data = open_data
    site.include_router(open_data_router)
    runtime.background.append(open_data.run)
    # Signed-in pages on the same site: login, the enterprise workspace and the reviewers' console.
    install_workspace(site)
    install_console(site)
    # The site's forms and uploads have their limits too (the API app got its own in create_service_app).
    site.add_middleware(BodyLimit, settings=settings)
    if settings.strict_transport_security:
        site.add_middleware(StrictTransportSecurity)
    instrument_app(site, runtime.tracer_provider)
    return PortalService(runtime=runtime, app=app, site=site)
