"""Backend-for-frontend: the portal calls the services' documented HTTP APIs with the signed-in user's token."""

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import httpx
import structlog
from fastapi import Depends, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from bluemap_portal.settings import PortalSettings, current_settings
from bluemap_shared.problems import PROBLEM_JSON, TYPE_BASE
from bluemap_shared.runtime import get_runtime
from bluemap_shared.tracing import instrument_client

log = structlog.get_logger()

Service = Literal["records", "explanations", "documents", "notifications"]
# Headers of a file worth passing on to the browser; the rest (cookies, caching of the service) stays behind.
CONTENT_HEADERS = ("content-type", "content-disposition", "content-length", "last-modified", "etag")


@dataclass
class ApiProblem(Exception):
    """A 4xx answer of a service, as RFC 9457 problem details (type without its base URL)."""

    status: int
    type: str
    title: str = ""
    detail: str = ""
    extensions: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.type}: {self.detail}"

    @property
    def reason(self) -> str | None:
        value = self.extensions.get("reason")
        return str(value) if value is not None else None

    @classmethod
    def from_response(cls, response: httpx.Response, body: bytes) -> "ApiProblem":
        data: Any = {}
        if response.headers.get("content-type", "").split(";")[0].strip() in (PROBLEM_JSON, "application/json"):
            try:
                data = json.loads(body)
            except ValueError:
                data = {}
        if not isinstance(data, dict):
            data = {}
        standard = {"type", "title", "status", "detail", "instance"}
        return cls(
            status=response.status_code,
            type=str(data.get("type") or "").removeprefix(TYPE_BASE) or "http-error",
            title=str(data.get("title") or ""),
            detail=str(data.get("detail") or ""),
            extensions={k: v for k, v in data.items() if k not in standard},
        )


class BackendUnavailable(Exception):
    """A service did not answer, or answered with a server error: the page says so instead of failing."""


class SessionExpired(Exception):
    """A service refused the user's token (401): they sign in again."""


class Backend:
    """The services' APIs for one request, as the signed-in user (or anonymously, for the token endpoint)."""

    def __init__(
        self, settings: PortalSettings, client: httpx.AsyncClient, *, token: str | None, client_ip: str | None
    ) -> None:
        self.settings = settings
        self._client = client
        self.token = token
        self._client_ip = client_ip

    def url(self, service: Service, path: str) -> str:
        base = {
            "records": self.settings.records_api_url,
            "explanations": self.settings.explanations_api_url,
            "documents": self.settings.documents_api_url,
            "notifications": self.settings.notifications_api_url,
        }[service]
        return base + path

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self._client_ip:
            # Evidence such as who accepted a commitment from where; believed only where the portal is trusted.
            headers["X-Forwarded-For"] = self._client_ip
        headers.update(extra or {})
        return headers

    async def call(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        content: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """The service's answer when 2xx; ApiProblem for 4xx, SessionExpired for 401, BackendUnavailable else."""
        url = self.url(service, path)
        try:
            response = await self._client.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                files=files,
                content=content,
                headers=self.headers(headers),
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            log.warning("backend.unreachable", service=service, path=path, error=type(exc).__name__)
            raise BackendUnavailable(service) from exc
        return self._checked(service, path, response, response.content)

    def _checked(self, service: Service, path: str, response: httpx.Response, body: bytes) -> httpx.Response:
        if response.status_code == 401 and self.token:
            raise SessionExpired()
        if 400 <= response.status_code < 500:
            raise ApiProblem.from_response(response, body)
        if response.status_code >= 500:
            log.warning("backend.failed", service=service, path=path, status=response.status_code)
            raise BackendUnavailable(service)
        return response

    async def get(self, service: Service, path: str, **params: Any) -> Any:
        """GET and decode JSON; parameters that are None are left out."""
        query = {k: v for k, v in params.items() if v is not None}
        return (await self.call(service, "GET", path, params=query)).json()

    async def post(self, service: Service, path: str, body: Any = None) -> Any:
        return (await self.call(service, "POST", path, json=body if body is not None else {})).json()

    async def post_form(self, service: Service, path: str, form: Mapping[str, str]) -> Any:
        return (await self.call(service, "POST", path, data=dict(form))).json()

    async def post_files(self, service: Service, path: str, *, files: Any, data: Mapping[str, str]) -> Any:
        """POST a multipart form of files and text fields."""
        return (await self.call(service, "POST", path, files=files, data=dict(data))).json()

    async def put(self, service: Service, path: str, body: Any) -> Any:
        return (await self.call(service, "PUT", path, json=body)).json()

    async def stream_upload(
        self,
        service: Service,
        path: str,
        body: AsyncIterator[bytes],
        *,
        content_type: str,
        length: str | None,
        timeout: float | None = None,
    ) -> Any:
        """Pass a multipart body on as it arrives, without parsing it here (the service validates it)."""
        headers = {"Content-Type": content_type}
        if length is not None:
            headers["Content-Length"] = length
        return (await self.call(service, "POST", path, content=body, headers=headers, timeout=timeout)).json()

    async def file(
        self, service: Service, path: str, *, params: Mapping[str, str] | None = None, frame_ancestors: str = "'none'"
    ) -> Response:
        """Stream a file of a service to the browser with the user's token (redirects to storage followed here)."""
        request = self._client.build_request("GET", self.url(service, path), params=params, headers=self.headers())
        try:
            # httpx drops the Authorization header when a redirect leaves the service's origin (presigned S3 URLs).
            response = await self._client.send(request, stream=True, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(service) from exc
        if response.status_code >= 300:
            body = await response.aread()
            await response.aclose()
            self._checked(service, path, response, body)
            raise BackendUnavailable(service)
        headers = {k: v for k, v in response.headers.items() if k.lower() in CONTENT_HEADERS}
        headers["Cache-Control"] = "private, no-store"
        headers["X-Content-Type-Options"] = "nosniff"
        # A PDF shown in the console's <iframe>: framing by our own pages only, and nothing active in it.
        headers["Content-Security-Policy"] = f"default-src 'none'; frame-ancestors {frame_ancestors}"
        return StreamingResponse(
            response.aiter_raw(), status_code=200, headers=headers, background=BackgroundTask(response.aclose)
        )

    async def event_stream(
        self, service: Service, path: str, *, params: Mapping[str, str] | None = None, last_event_id: str | None = None
    ) -> Response:
        """Pass a service's server-sent events on to the browser (EventSource cannot send the user's token)."""
        extra = {"Accept": "text/event-stream"} | ({"Last-Event-ID": last_event_id} if last_event_id else {})
        url = self.url(service, path)
        request = self._client.build_request(
            "GET", url, params=params, headers=self.headers(extra), timeout=httpx.Timeout(10.0, read=None)
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(service) from exc
        if response.status_code >= 300:
            body = await response.aread()
            await response.aclose()
            self._checked(service, path, response, body)
            raise BackendUnavailable(service)
        return StreamingResponse(
            response.aiter_raw(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
            background=BackgroundTask(response.aclose),
        )


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def http_client(request: Request) -> AsyncIterator[httpx.AsyncClient]:
    """One connection pool per request; closed after the response went out (file downloads stream through it)."""
    settings = current_settings(request)
    async with httpx.AsyncClient(timeout=settings.api_timeout_seconds) as client:
        instrument_client(client, get_runtime(request).tracer_provider)
        yield client


HttpClientDep = Annotated[httpx.AsyncClient, Depends(http_client)]
