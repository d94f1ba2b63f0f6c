"""CloudEvents 1.0 envelope and its Kafka binary-mode encoding."""

import contextvars
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from bluemap_shared.ids import uuid7

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
# Extension attribute names must be lower-case alphanumerics (CloudEvents 1.0, naming conventions).
TENANT_ATTRIBUTE = "tenantid"
REQUIRED_HEADERS = ("ce_id", "ce_source", "ce_specversion", "ce_type", "ce_subject", "ce_time", "ce_tenantid")

current_traceparent: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_traceparent", default=None)


class IntegrationEvent(BaseModel):
    """Payload of an event another service may consume; past-tense name, versioned type."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[str]
    description: ClassVar[str] = ""

    def subject(self) -> str:
        """The aggregate id: the Kafka record key, so one aggregate's events stay in order."""
        raise NotImplementedError


E = TypeVar("E", bound=IntegrationEvent)


@dataclass(frozen=True)
class Message:
    """A transport-level record: what Kafka carries and what the in-process bus passes on."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Sequence[tuple[str, bytes]] = ()
    partition: int = -1
    offset: int = -1

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode("utf-8", errors="replace")
        return None


def context_headers(
    event_id: str, source: str, event_type: str, subject: str, time: str, tenant_id: str, traceparent: str | None
) -> list[tuple[str, str]]:
    """The CloudEvents context attributes of one event as Kafka headers (binary content mode), as text."""
    headers = [
        ("ce_id", event_id),
        ("ce_source", source),
        ("ce_specversion", SPEC_VERSION),
        ("ce_type", event_type),
        ("ce_subject", subject),
        ("ce_time", time),
        (f"ce_{TENANT_ATTRIBUTE}", tenant_id),
        ("content-type", CONTENT_TYPE),
    ]
    if traceparent:
        headers.append(("ce_traceparent", traceparent))
    return headers


@dataclass(frozen=True)
class Envelope(Generic[E]):
    """An event with its CloudEvents context attributes."""

    data: E
    tenant_id: str
    source: str
    subject: str
    id: UUID = field(default_factory=uuid7)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    traceparent: str | None = None

    @property
    def type(self) -> str:
        return self.data.event_type

    def headers(self) -> list[tuple[str, str]]:
        """The context attributes as Kafka headers of binary content mode, as text."""
        return context_headers(
            str(self.id), self.source, self.type, self.subject, self.time.isoformat(), self.tenant_id, self.traceparent
        )

    def payload(self) -> bytes:
        """The event's data as the message value (JSON)."""
        return self.data.__pydantic_serializer__.to_json(self.data)

    def to_message(self) -> Message:
        """Binary content mode: attributes in ce_* headers, data as the value."""
        return Message(
            topic=self.data.topic,
            key=self.subject.encode(),
            value=self.payload(),
            headers=[(k, v.encode()) for k, v in self.headers()],
        )


class PoisonMessage(Exception):
    """A message no retry can fix: malformed, unknown or incomplete."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def decode(message: Message, catalog: dict[str, type[IntegrationEvent]]) -> Envelope[Any]:
    """Parse a binary-mode CloudEvent; raise PoisonMessage with a machine-readable reason."""
    missing = [h for h in REQUIRED_HEADERS if message.header(h) is None]
    if missing:
        raise PoisonMessage("missing-attributes", ", ".join(missing))
    if message.header("ce_specversion") != SPEC_VERSION:
        raise PoisonMessage("unsupported-specversion", str(message.header("ce_specversion")))
    event_type = message.header("ce_type") or ""
    model = catalog.get(event_type)
    if model is None:
        raise PoisonMessage("unknown-type", event_type)
    try:
        raw = orjson.loads(message.value)
    except orjson.JSONDecodeError as exc:
        raise PoisonMessage("malformed-json", str(exc)) from exc
    try:
        event_id = UUID(message.header("ce_id") or "")
        time = datetime.fromisoformat(message.header("ce_time") or "")
    except ValueError as exc:
        raise PoisonMessage("invalid-attributes", str(exc)) from exc
    if time.tzinfo is None:
        raise PoisonMessage("invalid-attributes", "ce_time must be an RFC 3339 timestamp with an offset")
    try:
        data = model.model_validate(raw)
    except ValidationError as exc:
        raise PoisonMessage("invalid-payload", str(exc)) from exc
    return Envelope(
        data=data,
        tenant_id=message.header("ce_tenantid") or "",
        source=message.header("ce_source") or "",
        subject=message.header("ce_subject") or "",
        id=event_id,
        time=time,
        traceparent=message.header("ce_traceparent"),
    )


_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def new_traceparent(parent: str | None = None) -> str:
    """W3C traceparent: a new span in the parent's trace, or a new trace when the parent is unusable."""
    match = _TRACEPARENT.match(parent or "")
    if match and match[1] != "0" * 32 and match[2] != "0" * 16:
        return f"00-{match[1]}-{os.urandom(8).hex()}-{match[3]}"
    return f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01"
