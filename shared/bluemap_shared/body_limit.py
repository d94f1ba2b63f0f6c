"""Request body limits: each route reads at most its limit, counted while the body streams in.

Forms and JSON get small defaults; upload and import endpoints declare their larger limit with
`@large_body(...)`. The count happens on the ASGI receive channel, so a chunked body (no
Content-Length) is cut off as soon as it passes the limit, before any parser spooled it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bluemap_shared.problems import PayloadTooLarge, problem_response
from bluemap_shared.settings import ServiceSettings

log = structlog.get_logger()

KIB = 1024
MIB = 1024 * KIB
# Forms without a declared file (login, CSRF-protected posts): Chinese text percent-encoded takes 9 bytes a character.
FORM_BODY_LIMIT = 256 * KIB
# JSON and anything else undeclared.
JSON_BODY_LIMIT = 1 * MIB
# Room for the multipart boundaries, the part headers and a few small fields around an uploaded file.
MULTIPART_OVERHEAD = 64 * KIB
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)
EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])
_DECLARED_LIMIT = "__bluemap_body_limit__"


def large_body(limit: Callable[[SettingsT], int]) -> Callable[[EndpointT], EndpointT]:
    """Lets an endpoint (upload, import) read bodies of up to limit(settings) bytes instead of the defaults."""

    def declare(endpoint: EndpointT) -> EndpointT:
        setattr(endpoint, _DECLARED_LIMIT, limit)
        return endpoint

    return declare


def default_body_limit(content_type: str) -> int:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return FORM_BODY_LIMIT if media_type in FORM_MEDIA_TYPES else JSON_BODY_LIMIT


class BodyTooLarge(Exception):
    """Raised to the application reading past its limit; the middleware answers 413 instead of it."""


@dataclass
class _Reading:
    limit: int | None = None
    received: int = 0
    exceeded: bool = False
    answered: bool = False


class BodyLimit:
    """ASGI middleware: a body past the route's limit gets 413 problem+json, however the route reads it.

    The limit is looked up at the first read, after routing, from the matched endpoint (scope["endpoint"]).
    """

    def __init__(self, app: ASGIApp, settings: ServiceSettings) -> None:
        self.app = app
        self.settings = settings

    def _limit(self, scope: Scope) -> int:
        declared = getattr(scope.get("endpoint"), _DECLARED_LIMIT, None)
        if declared is not None:
            return int(declared(self.settings))
        headers = dict(scope.get("headers") or [])
        return default_body_limit(headers.get(b"content-type", b"").decode("latin-1"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reading = _Reading()

        async def limited_receive() -> Message:
            if reading.exceeded:
                raise BodyTooLarge()
            if reading.limit is None:
                reading.limit = self._limit(scope)
                declared = dict(scope.get("headers") or []).get(b"content-length", b"")
                if declared.isdigit() and int(declared) > reading.limit:
                    reading.exceeded = True  # refused before reading a byte of it
                    raise BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                reading.received += len(message.get("body", b""))
                if reading.received > reading.limit:
                    reading.exceeded = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            if reading.exceeded and not reading.answered:
                return  # whatever the route made of the cut-off body; the 413 below replaces it
            if message["type"] == "http.response.start":
                reading.answered = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not reading.exceeded or reading.answered:
                raise
        if reading.exceeded and not reading.answered:
            limit = reading.limit or 0
            log.info("http.body_too_large", path=scope.get("path"), limit=limit, received=reading.received)
            response = problem_response(
                PayloadTooLarge.status,
                PayloadTooLarge.type,
                PayloadTooLarge.title,
                f"The request body exceeds the limit of {limit} bytes for this address.",
                str(scope.get("path", "")),
                {"max_body_bytes": limit},
            )
            # The connection stays open: the server discards the rest of the body unparsed and the client reads
            # the 413. Closing it instead would reset the connection under a client still sending, losing the answer.
            await response(scope, receive, send)
