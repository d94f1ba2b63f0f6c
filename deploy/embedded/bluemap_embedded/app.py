"""Composition root of the embedded default: five services, one process, one in-process bus."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route

from bluemap_documents.bootstrap import bootstrap as documents_bootstrap
from bluemap_documents.settings import DocumentsSettings
from bluemap_embedded.demo import seed, seed_tenant
from bluemap_embedded.mailcatcher import MailCatcher, mail_viewer
from bluemap_explanations.bootstrap import bootstrap as explanations_bootstrap
from bluemap_explanations.settings import ExplanationsSettings
from bluemap_notifications.bootstrap import bootstrap as notifications_bootstrap
from bluemap_notifications.settings import NotificationsSettings
from bluemap_portal.bootstrap import bootstrap as portal_bootstrap
from bluemap_portal.settings import PortalSettings
from bluemap_records.bootstrap import bootstrap as records_bootstrap
from bluemap_records.settings import RecordsSettings
from bluemap_shared.auth import StaticJwks, TokenVerifier
from bluemap_shared.http import mount_path
from bluemap_shared.messaging.transport import InProcessTransport
from bluemap_shared.runtime import running

log = structlog.get_logger()

API_CLIENTS = ("records", "explanations", "documents", "notifications")


@dataclass(frozen=True)
class EmbeddedConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    smtp_port: int = 8025
    demo: bool = True
    # Hosts the demo tenant's site answers on besides 127.0.0.1, localhost and host (any other is 404).
    hostnames: tuple[str, ...] = ()

    @property
    def demo_hostnames(self) -> list[str]:
        own = [] if self.host in ("0.0.0.0", "::") else [self.host]  # noqa: S104 - compared, not bound
        return [*own, *self.hostnames]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        """Where this process reaches itself, also when it listens on every interface."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host  # noqa: S104 - compared, not bound
        return f"http://{host}:{self.port}"


def build(config: EmbeddedConfig) -> Starlette:
    """All services on SQLite files, filesystem storage and a local mail catcher under data_dir."""
    data = config.data_dir
    common: dict[str, Any] = {"data_dir": data, "transport": "inprocess", "environment": "development"}
    transport = InProcessTransport()
    # The site signs users in through this API and forwards their addresses: login throttling per address.
    records = records_bootstrap(RecordsSettings(**common, trusted_proxies=["127.0.0.1/32", "::1/128"]), transport)
    verifier = TokenVerifier(
        StaticJwks(records.signing_key.jwks()),
        issuer=records.runtime.settings.token_issuer,
        audience=records.runtime.settings.token_audience,
    )
    explanations = explanations_bootstrap(
        # The portal's workspace calls this API for its users and forwards their addresses.
        ExplanationsSettings(**common, trusted_proxies=["127.0.0.1/32", "::1/128"]),
        transport,
        token_verifier=verifier,
    )
    documents = documents_bootstrap(
        DocumentsSettings(
            **common,
            storage_backend="filesystem",
            storage_path=data / "objects",
            public_base_url=config.base_url,
            render_isolation="thread",  # the embedded default is one process
        ),
        transport,
        token_verifier=verifier,
    )
    catcher = MailCatcher(data / "mail", port=config.smtp_port)
    notifications = notifications_bootstrap(
        NotificationsSettings(
            **common, smtp_host=catcher.host, smtp_port=catcher.port, portal_base_url=config.base_url
        ),
        transport,
        token_verifier=verifier,
    )
    # The site calls the services' APIs like any client; in one process that is this server.
    api_urls: dict[str, Any] = {f"{name}_api_url": f"{config.api_base_url}/api/{name}" for name in API_CLIENTS}
    portal = portal_bootstrap(
        PortalSettings(**common, **api_urls, documents_public_base_url=f"{config.base_url}/api/documents"),
        transport,
        token_verifier=verifier,
    )
    services = (records, explanations, documents, notifications, portal)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        catcher.start()
        try:
            async with running(*(s.runtime for s in services)):
                if config.demo:
                    # The tenant first: its users and records belong to it.
                    await seed_tenant(records, config.demo_hostnames)
                    if await seed(records):
                        log.info("embedded.demo_loaded")
                log.info("embedded.ready", url=config.base_url, mail=f"{config.base_url}/mail/", data_dir=str(data))
                yield
        finally:
            catcher.stop()

    routes: list[BaseRoute] = [Mount(mount_path(s.runtime.name), app=s.app) for s in services]
    routes += [
        Route("/mail", lambda _request: RedirectResponse("/mail/")),
        Mount("/mail", app=mail_viewer(catcher)),
        Mount("/", app=portal.site),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
