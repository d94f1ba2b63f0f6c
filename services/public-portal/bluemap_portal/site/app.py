"""The public web site: server-rendered pages, escaped by Jinja2, no JavaScript needed to read them."""

from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from bluemap_portal.site.exports import router as exports_router
from bluemap_portal.site.feeds import router as feeds_router
from bluemap_portal.site.i18n import LANGUAGES, translations
from bluemap_portal.site.pages import router
from bluemap_portal.site.rendering import PACKAGE, error_page, module_folders
from bluemap_shared.problems import Problem
from bluemap_shared.runtime import ServiceRuntime

log = structlog.get_logger()

# Our own stylesheet, no scripts, no framing: what the pages need and nothing more.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def create_site(runtime: ServiceRuntime) -> FastAPI:
    """The site app; the caller mounts it at "/" after the APIs. It shares the service's runtime."""
    site = FastAPI(title="Blue Map public site", docs_url=None, redoc_url=None, openapi_url=None)
    site.state.runtime = runtime
    for lang in LANGUAGES:
        translations(lang)  # a broken catalog fails the start, not the first visitor
    site.include_router(router)
    site.include_router(feeds_router)
    site.include_router(exports_router)
    static_folders = [p for p in module_folders("static") if p.is_dir()]
    site.mount(
        "/static",
        StaticFiles(packages=[("bluemap_portal", str(p.relative_to(PACKAGE))) for p in static_folders]),
        name="static",
    )

    @site.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

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
