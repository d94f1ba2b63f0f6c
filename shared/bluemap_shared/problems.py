"""RFC 9457 problem details for every error a service returns."""

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://bluemap.example.org/problems/"

log = structlog.get_logger()


class Problem(Exception):
    """A domain error with a stable machine-readable type."""

    status = 400
    type = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions

    @property
    def headers(self) -> dict[str, str]:
        """Response headers the problem needs (Retry-After); none by default."""
        return {}


class NotFound(Problem):
    status = 404
    type = "not-found"
    title = "Not found"


class Conflict(Problem):
    status = 409
    type = "conflict"
    title = "Conflict"


class Forbidden(Problem):
    status = 403
    type = "forbidden"
    title = "Forbidden"


class Unauthorized(Problem):
    status = 401
    type = "unauthorized"
    title = "Authentication required"


class InvalidInput(Problem):
    status = 422
    type = "invalid-input"
    title = "Invalid input"


class PayloadTooLarge(Problem):
    status = 413
    type = "payload-too-large"
    title = "Payload too large"


class RetryLater(Problem):
    """A refusal that tells when to ask again (Retry-After, and retry_after in the body)."""

    def __init__(self, detail: str, *, retry_after: int, **extensions: Any) -> None:
        super().__init__(detail, retry_after=retry_after, **extensions)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class TooManyRequests(RetryLater):
    status = 429
    type = "too-many-requests"
    title = "Too many requests"


class Busy(RetryLater):
    status = 503
    type = "busy"
    title = "Busy"


def problem_response(
    status: int,
    type_: str,
    title: str,
    detail: str,
    instance: str,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"type": TYPE_BASE + type_, "title": title, "status": status, "detail": detail, "instance": instance}
    # Extension members never replace the standard ones (RFC 9457, section 3.2).
    body.update({k: v for k, v in (extensions or {}).items() if k not in body})
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers or None)


def install_problem_handlers(app: FastAPI) -> None:
    """Turn every error into application/problem+json; unexpected ones are logged, not leaked."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status, exc.type, exc.title, exc.detail, request.url.path, exc.extensions, exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": [str(p) for p in err.get("loc", ())], "message": err.get("msg", ""), "type": err.get("type")}
            for err in exc.errors()
        ]
        return problem_response(
            422, "invalid-input", "Invalid input", "The request did not validate.", request.url.path, {"errors": errors}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized", 403: "forbidden"}.get(
            exc.status_code, "http-error"
        )
        return problem_response(exc.status_code, slug, str(exc.detail), str(exc.detail), request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled_error", path=request.url.path)
        return problem_response(
            500, "internal-error", "Internal error", "An unexpected error occurred.", request.url.path
        )
