"""FastAPI app factory shared by the services: problems, health, trace context, access log."""

import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bluemap_shared.body_limit import BodyLimit
from bluemap_shared.events.envelope import current_traceparent
from bluemap_shared.metrics import METRICS_CONTENT_TYPE
from bluemap_shared.openapi import document_problems
from bluemap_shared.problems import install_problem_handlers
from bluemap_shared.runtime import ServiceRuntime, running
from bluemap_shared.tracing import current_or_new_traceparent, instrument_app

log = structlog.get_logger()


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: 503 while draining or when a required dependency (database, storage) is down; "
        "200 'degraded' when only the broker is (the outbox keeps what is written)",
    )
    async def readyz(request: Request) -> JSONResponse:
        runtime: ServiceRuntime = request.app.state.runtime
        code, report = await runtime.readiness_report()
        return JSONResponse(report, status_code=code)

    @router.get("/metrics", summary="Prometheus metrics of this service", response_class=Response)
    async def metrics(request: Request) -> Response:
        runtime: ServiceRuntime = request.app.state.runtime
        return Response(await runtime.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    return router


def _route_of(request: Request) -> str:
    """The route's template (/v1/records/{record_id}), so metrics have one series per route, not per id."""
    route = request.scope.get("route")
    return getattr(route, "path", None) or "unmatched"


# JSON answers load nothing, are framed by nobody and send no referrer; the API's pages (/docs) need more.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
API_SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class ApiSecurityHeaders:
    """Adds the API's security headers a response does not set itself; HSTS when the public URL is https."""

    def __init__(self, app: ASGIApp, *, hsts: bool, docs_paths: frozenset[str]) -> None:
        self.app = app
        self.headers = [*API_SECURITY_HEADERS, *([HSTS] if hsts else [])]
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self.headers)
        # Swagger UI and ReDoc run scripts and styles of their own; every other answer gets the strict policy.
        if scope.get("path", "").removeprefix(scope.get("root_path", "")) not in self.docs_paths:
            extra.append((b"content-security-policy", API_CONTENT_SECURITY_POLICY.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class StrictTransportSecurity:
    """HSTS on every answer of an app whose pages have their own security headers (the portal's site)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), HSTS]}
            await send(message)

        await self.app(scope, receive, send_with_hsts if scope["type"] == "http" else send)


def create_service_app(
    runtime: ServiceRuntime, *, title: str, description: str, routers: Iterable[APIRouter], version: str = "1.0.0"
) -> FastAPI:
    """The service's own API app; the caller mounts it under /api/<service>.

    /docs, /redoc and /openapi.json are off in production unless api_docs_in_production says otherwise.
    """
    docs = runtime.settings.serves_api_docs
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.runtime = runtime
    app.state.token_verifier = runtime.token_verifier
    # Where X-Forwarded-For may be believed (bluemap_shared.client_ip): login throttling, commitment answers.
    app.state.trusted_proxies = runtime.settings.trusted_proxies
    install_problem_handlers(app)
    document_problems(app)
    app.include_router(health_router())
    for router in routers:
        app.include_router(router)
    instrument_app(app, runtime.tracer_provider)

    @app.middleware("http")
    async def trace_and_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        traceparent = current_or_new_traceparent(request.headers.get("traceparent"))
        token = current_traceparent.set(traceparent)
        started = time.perf_counter()
        try:
            with structlog.contextvars.bound_contextvars(trace_id=traceparent.split("-")[1], service=runtime.name):
                response = await call_next(request)
                elapsed = time.perf_counter() - started
                route = _route_of(request)
                runtime.metrics.http_requests.labels(request.method, route, str(response.status_code)).inc()
                runtime.metrics.http_duration.labels(request.method, route).observe(elapsed)
                if request.url.path.rsplit("/", 1)[-1] not in ("healthz", "readyz", "metrics"):
                    log.info(
                        "http.request",
                        method=request.method,
                        path=request.url.path,
                        status=response.status_code,
                        ms=round(elapsed * 1000, 1),
                    )
            response.headers["traceparent"] = traceparent
            return response
        finally:
            current_traceparent.reset(token)

    # Outside the exception handlers: a body past its route's limit is answered 413 whatever the route made of it.
    app.add_middleware(BodyLimit, settings=runtime.settings)
    # Added last, so outermost: every answer gets the headers, the 413 above too.
    app.add_middleware(
        ApiSecurityHeaders,
        hsts=runtime.settings.strict_transport_security,
        docs_paths=frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"}),
    )
    return app


def mount_path(service: str) -> str:
    return f"/api/{service}"


# Young collections every 50,000 allocations instead of 700, older ones rarer too (defaults: 700, 10, 10).
GC_THRESHOLDS = (50_000, 20, 100)


def standalone_app(runtime: ServiceRuntime, service_app: FastAPI, extra: Iterable[Mount] = ()) -> Starlette:
    """Distributed mode: one service per process, at the same path as in the embedded default.

    extra mounts come after the API, so a site mounted at "/" does not shadow it.
    """

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await runtime.transport.start()
        try:
            async with running(runtime):
                # What exists now (modules, app, caches) lives as long as the process: frozen, the
                # collector stops walking it. Rarer young collections then cut the pauses that made
                # the portal's p99 under load 4x its p90 (bench/portal_load.py: 208 ms -> 48 ms).
                gc.collect()
                gc.freeze()
                gc.set_threshold(*GC_THRESHOLDS)
                log.info("service.started", service=runtime.name)
                yield
        finally:
            await runtime.transport.stop()

    return Starlette(routes=[Mount(mount_path(runtime.name), app=service_app), *extra], lifespan=lifespan)
