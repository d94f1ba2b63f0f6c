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

from bluemap_shared.events.envelope import current_traceparent, new_traceparent
from bluemap_shared.metrics import METRICS_CONTENT_TYPE
from bluemap_shared.problems import install_problem_handlers
from bluemap_shared.runtime import ServiceRuntime, running

log = structlog.get_logger()


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: database, broker and storage reachable")
    async def readyz(request: Request) -> JSONResponse:
        runtime: ServiceRuntime = request.app.state.runtime
        checks = await runtime.check_readiness()
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "service": runtime.name, "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics", summary="Prometheus metrics of this service", response_class=Response)
    async def metrics(request: Request) -> Response:
        runtime: ServiceRuntime = request.app.state.runtime
        return Response(await runtime.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    return router


def _route_of(request: Request) -> str:
    """The route's template (/v1/records/{record_id}), so metrics have one series per route, not per id."""
    route = request.scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def create_service_app(
    runtime: ServiceRuntime, *, title: str, description: str, routers: Iterable[APIRouter], version: str = "1.0.0"
) -> FastAPI:
    """The service's own API app; the caller mounts it under /api/<service>."""
    app = FastAPI(title=title, description=description, version=version)
    app.state.runtime = runtime
    app.state.token_verifier = runtime.token_verifier
    install_problem_handlers(app)
    app.include_router(health_router())
    for router in routers:
        app.include_router(router)

    @app.middleware("http")
    async def trace_and_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        traceparent = new_traceparent(request.headers.get("traceparent"))
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
