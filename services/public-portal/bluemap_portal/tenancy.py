"""Which tenant a public request is about, from the Host it was sent to (the tenant registry's hostnames).

A host no tenant claims answers 404 and a suspended tenant's 503, both as problems. Only while this portal knows
no tenant at all (its copy of the registry is empty: a deployment before its first tenant) does every host get
`default_tenant`.
"""

from typing import Annotated

from fastapi import Depends, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from bluemap_portal.settings import PortalSettings
from bluemap_shared.events.catalog import TenantProfile
from bluemap_shared.problems import Problem, problem_response
from bluemap_shared.tenants import TenantDirectory, TenantSuspendedProblem, UnknownHost

# Where the gate leaves what it found in the request's scope state.
TENANT_STATE = "tenant_id"
PROFILE_STATE = "tenant_profile"


def host_name(host: str | None) -> str:
    """The Host header without its port, lower-cased ("[::1]:8000" gives "[::1]")."""
    if not host:
        return ""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def tenant_for_host(
    host: str | None, directory: TenantDirectory, *, default: str
) -> tuple[str, TenantProfile | None]:
    """The tenant answering on host and its settings: 404 for a host no tenant claims, 503 when it is suspended."""
    name = host_name(host)
    profile = await directory.for_host(name)
    if profile is None:
        if await directory.is_empty():
            return default, None
        raise UnknownHost(f"No site answers for {name or 'a request without a Host'}.", host=name)
    if profile.status == "suspended":
        raise TenantSuspendedProblem("This site is suspended.", tenant_id=profile.tenant_id)
    return profile.tenant_id, profile


async def _resolve(scope: Scope, runtime_settings: PortalSettings, directory: TenantDirectory) -> str:
    state = scope.setdefault("state", {})
    if TENANT_STATE not in state:
        host = next((value.decode("latin-1") for key, value in scope.get("headers", ()) if key == b"host"), None)
        state[TENANT_STATE], state[PROFILE_STATE] = await tenant_for_host(
            host, directory, default=runtime_settings.default_tenant
        )
    return str(state[TENANT_STATE])


class TenantGate:
    """Resolves the site's tenant before anything else (the page cache too); refuses unknown and suspended ones."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Static assets are the same for every tenant: served without asking which one.
        if scope["type"] == "http" and not scope.get("path", "").startswith(f"{scope.get('root_path', '')}/static/"):
            runtime = scope["app"].state.runtime  # Starlette puts its app in the scope before its middleware
            try:
                await _resolve(scope, runtime.settings, runtime.tenants)
            except Problem as exc:
                response = problem_response(
                    exc.status, exc.type, exc.title, exc.detail, scope.get("path", ""), exc.extensions, exc.headers
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def resolved_tenant(request: Request) -> str | None:
    """The tenant the gate resolved, None where it did not ask (static assets)."""
    return getattr(request.state, TENANT_STATE, None)


def current_profile(request: Request) -> TenantProfile | None:
    """The tenant's settings (names, brand), None while the portal knows no tenant."""
    return getattr(request.state, PROFILE_STATE, None)


async def _tenant(request: Request) -> str:
    runtime = request.app.state.runtime
    return await _resolve(request.scope, runtime.settings, runtime.tenants)


TenantDep = Annotated[str, Depends(_tenant)]
