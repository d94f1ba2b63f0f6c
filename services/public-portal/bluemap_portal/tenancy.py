"""Which tenant a public request is about, from the Host it was sent to."""

from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Request

from bluemap_portal.settings import PortalSettings


def host_name(host: str | None) -> str:
    """The Host header without its port, lower-cased ("[::1]:8000" gives "[::1]")."""
    if not host:
        return ""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def tenant_for_host(host: str | None, *, tenant_hosts: Mapping[str, str], default: str) -> str:
    """The tenant mapped to the host, else the default tenant."""
    return tenant_hosts.get(host_name(host), default)


def current_tenant(request: Request) -> str:
    settings: PortalSettings = request.app.state.runtime.settings
    return tenant_for_host(
        request.headers.get("host"), tenant_hosts=settings.tenant_hosts, default=settings.default_tenant
    )


async def _tenant(request: Request) -> str:
    # async: FastAPI runs a plain def dependency in its thread pool, a thread hop per request for nothing.
    return current_tenant(request)


TenantDep = Annotated[str, Depends(_tenant)]
