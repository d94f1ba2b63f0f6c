"""The public web site: server-rendered pages, escaped by Jinja2, no JavaScript needed to read them."""

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bluemap_portal.settings import PortalSettings
from bluemap_portal.site.caching import cached_public_page
from bluemap_portal.site.dashboard import router as dashboard_router
from bluemap_portal.site.exports import router as exports_router
from bluemap_portal.site.feeds import router as feeds_router
from bluemap_portal.site.i18n import LANGUAGES, translations
from bluemap_portal.site.page_cache import PageCache, hear_every_writer, invalidate_on_writes
from bluemap_portal.site.pages import router
from bluemap_portal.site.rendering import PACKAGE, error_page, module_folders
from bluemap_portal.tenancy import TenantGate, current_profile
from bluemap_shared.problems import Problem
from bluemap_shared.runtime import ServiceRuntime

log = structlog.get_logger()

# Our own stylesheet, no scripts, no framing: what the pages need and nothing more.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """Adds the security headers a response does not set itself (plain ASGI: no task or body stream per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CachedPages:
    """Answers fresh cached pages before routing and dependency injection; everything else goes on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            response = cached_public_page(Request(scope))
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_site(runtime: ServiceRuntime) -> FastAPI:
    """The site app; the caller mounts it at "/" after the APIs. It shares the service's runtime."""
    site = FastAPI(title="Blue Map public site", docs_url=None, redoc_url=None, openapi_url=None)
    site.state.runtime = runtime
    settings = runtime.settings
    cache = PageCache(0.0)
    if isinstance(settings, PortalSettings):
        cache = PageCache(settings.page_cache_seconds, shared_seconds=settings.page_cache_shared_seconds)
    site.state.page_cache = cache
    # Another replica's tenant change reaches this one as a notice dropping every page: re-read the tenants too,
    # or pages rendered from the old settings would be kept for page_cache_shared_seconds.
    cache.on_drop_everything.append(runtime.tenants.invalidate)
    engine = runtime.engine.sync_engine
    invalidate_on_writes(cache, engine)
    if cache.enabled and engine.dialect.name == "postgresql":

        async def page_cache_listener() -> None:
            await hear_every_writer(cache, engine)

        runtime.background.append(page_cache_listener)
    for lang in LANGUAGES:
        translations(lang)  # a broken catalog fails the start, not the first visitor
    site.include_router(router)

    @site.get("/brand.css", include_in_schema=False)
    async def brand_css(request: Request) -> Response:
        """The tenant's brand colour as a CSS variable (an inline style would need the CSP to allow it)."""
        profile = current_profile(request)
        colour = profile.brand_colour if profile is not None else "inherit"  # validated #rrggbb by the registry
        headers = {"Cache-Control": "public, max-age=86400"}
        return Response(f":root {{ --brand: {colour}; }}\n", media_type="text/css", headers=headers)

    site.include_router(feeds_router)
    site.include_router(exports_router)
    site.include_router(dashboard_router)
    static_folders = [p for p in module_folders("static") if p.is_dir()]
    site.mount(
        "/static",
        StaticFiles(packages=[("bluemap_portal", str(p.relative_to(PACKAGE))) for p in static_folders]),
        name="static",
    )

    site.add_middleware(CachedPages)
    site.add_middleware(TenantGate)  # outside the cache: an unknown host or a suspended tenant never reaches a page
    site.add_middleware(SecurityHeaders)  # added last: outermost, it also covers the cached pages

    @site.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        return error_page(request, 404 if exc.status_code == 404 else 400 if exc.status_code < 500 else 503)

    @site.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> HTMLResponse:
        return error_page(request, exc.status if exc.status in (400, 404) else 400)

    @site.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
        return error_page(request, 400)

    @site.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> HTMLResponse:
        log.exception("site.unhandled_error", path=request.url.path)
        return error_page(request, 503)

    return site
