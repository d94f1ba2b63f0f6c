"""The CloudEvents envelope: binary-mode encoding, decoding, and what decoding rejects."""

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from bluemap_shared.events.asyncapi import build_document
from bluemap_shared.events.catalog import CATALOG
from bluemap_shared.events.envelope import (
    REQUIRED_HEADERS,
    Envelope,
    IntegrationEvent,
    Message,
    PoisonMessage,
    decode,
    new_traceparent,
)

EVENTS = sorted(CATALOG.values(), key=lambda cls: cls.event_type)
TRACEPARENT = re.compile(r"^00-(?P<trace>[0-9a-f]{32})-(?P<span>[0-9a-f]{16})-01$")
PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
STRINGS = {"date": "2025-03-14", "date-time": "2025-03-14T09:26:53.589793+00:00", "email": "contact@example.org"}
# A value for each pattern a field of the catalog holds to (brand colour, hostname, tenant id).
PATTERNED = {
    "^#[0-9a-fA-F]{6}$": "#0b5cab",
    "^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$": "map.example.org",
    "^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$": "acme",
}


# --- valid sample events, built from each model's JSON schema ----------------------------------------


def sample_data(event: type[IntegrationEvent], *, optional: bool = True) -> dict[str, Any]:
    """JSON data valid for the event: every field (or only the required ones), distinct UUIDs."""
    schema = event.model_json_schema()
    data: dict[str, Any] = _value(schema, schema.get("$defs", {}), optional=optional)
    return data


def _value(schema: dict[str, Any], defs: dict[str, Any], *, optional: bool) -> Any:
    if "$ref" in schema:
        return _value(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, optional=optional)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _value(options[0], defs, optional=optional)
    kind = schema.get("type")
    if kind == "object":
        required = set(schema.get("required", ()))
        return {
            name: _value(field, defs, optional=optional)
            for name, field in schema.get("properties", {}).items()
            if optional or name in required
        }
    if kind == "array":
        return [_value(schema["items"], defs, optional=optional)]
    if kind == "string":
        if schema.get("format") == "uuid":
            return str(uuid.uuid4())
        if "pattern" in schema:
            return PATTERNED[schema["pattern"]]
        return STRINGS.get(schema.get("format", ""), "text")
    if kind == "integer":
        return 2025
    if kind == "boolean":
        return True
    raise NotImplementedError(f"teach sample_data about {schema}")


def sample(event: type[IntegrationEvent], *, optional: bool = True) -> IntegrationEvent:
    return event.model_validate(sample_data(event, optional=optional))


def envelope_of(data: IntegrationEvent, traceparent: str | None = PARENT) -> Envelope[Any]:
    return Envelope(
        data=data, tenant_id="tenant-a", source="/bluemap/test", subject=data.subject(), traceparent=traceparent
    )


def with_headers(message: Message, **changes: str | None) -> Message:
    """The message with headers replaced (value given) or removed (None)."""
    headers = [(k, v) for k, v in message.headers if k not in changes]
    headers += [(k, v.encode()) for k, v in changes.items() if v is not None]
    return Message(topic=message.topic, key=message.key, value=message.value, headers=headers)


def with_value(message: Message, value: bytes) -> Message:
    return Message(topic=message.topic, key=message.key, value=value, headers=message.headers)


# --- round trip ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("event", EVENTS, ids=lambda cls: cls.event_type)
@pytest.mark.parametrize("optional", [True, False], ids=["all-fields", "required-only"])
def test_round_trip(event: type[IntegrationEvent], optional: bool) -> None:
    envelope = envelope_of(sample(event, optional=optional))
    message = envelope.to_message()

    decoded = decode(message, CATALOG)

    assert decoded == envelope
    assert type(decoded.data) is event
    assert decoded.type == event.event_type
    assert decoded.time.tzinfo is not None


@pytest.mark.parametrize("event", EVENTS, ids=lambda cls: cls.event_type)
def test_round_trip_without_traceparent(event: type[IntegrationEvent]) -> None:
    message = envelope_of(sample(event), traceparent=None).to_message()
    assert message.header("ce_traceparent") is None
    assert decode(message, CATALOG).traceparent is None


@pytest.mark.parametrize("event", EVENTS, ids=lambda cls: cls.event_type)
def test_message_is_binary_mode(event: type[IntegrationEvent]) -> None:
    data = sample(event)
    envelope = envelope_of(data)
    message = envelope.to_message()

    names = [name for name, _ in message.headers]
    assert names == [*REQUIRED_HEADERS, "content-type", "ce_traceparent"]
    assert all(isinstance(value, bytes) for _, value in message.headers)
    assert message.topic == event.topic
    assert message.header("ce_specversion") == "1.0"
    assert message.header("ce_type") == event.event_type
    assert message.header("ce_id") == str(envelope.id)
    assert message.header("ce_source") == "/bluemap/test"
    assert message.header("ce_tenantid") == "tenant-a"
    assert message.header("ce_traceparent") == PARENT
    assert message.header("content-type") == "application/json"
    assert datetime.fromisoformat(message.header("ce_time") or "") == envelope.time
    # The record key is the subject: the aggregate id, so one aggregate keeps its order. Aggregates are
    # UUIDs, but a tenant, whose id is its name.
    assert message.key is not None
    assert message.key.decode() == message.header("ce_subject") == data.subject()
    tenant = getattr(data, "tenant", None)
    expected = getattr(tenant, "tenant_id", None) or getattr(data, "tenant_id", None)
    if event.event_type.startswith("org.bluemap.records.tenant-"):
        assert data.subject() == expected
    else:
        assert uuid.UUID(data.subject())
    # The value is the event data alone: no envelope fields in it.
    assert orjson.loads(message.value) == data.model_dump(mode="json")


def test_event_ids_are_time_ordered_uuid7() -> None:
    data = sample(EVENTS[0])
    first, second = envelope_of(data), envelope_of(data)
    assert first.id.version == 7
    assert first.id != second.id
    assert first.time.tzinfo is UTC


@pytest.mark.parametrize("event", EVENTS, ids=lambda cls: cls.event_type)
def test_asyncapi_document_describes_the_headers_written(event: type[IntegrationEvent]) -> None:
    message = envelope_of(sample(event)).to_message()
    headers = build_document()["components"]["messages"][event.__name__]["headers"]
    assert {name for name, _ in message.headers} == set(headers["properties"])
    assert set(headers["required"]) <= {name for name, _ in message.headers}
    for name, value in message.headers:
        described = headers["properties"][name]
        if "const" in described:
            assert value.decode() == described["const"], name
        if "pattern" in described:
            assert re.match(described["pattern"], value.decode()), name


# --- additive changes within a version ----------------------------------------------------------------


@pytest.mark.parametrize("event", EVENTS, ids=lambda cls: cls.event_type)
def test_unknown_fields_are_ignored(event: type[IntegrationEvent]) -> None:
    """A newer producer may add optional fields within a version; older consumers must still decode."""
    message = envelope_of(sample(event)).to_message()
    data = orjson.loads(message.value)
    data["field_added_later"] = {"anything": [1, 2, 3]}

    decoded = decode(with_value(message, orjson.dumps(data)), CATALOG)

    assert decoded.data == event.model_validate(orjson.loads(message.value))


# --- poison messages ----------------------------------------------------------------------------------


@pytest.fixture
def message() -> Message:
    return envelope_of(sample(EVENTS[0])).to_message()


def reason_of(message: Message) -> PoisonMessage:
    with pytest.raises(PoisonMessage) as raised:
        decode(message, CATALOG)
    return raised.value


@pytest.mark.parametrize("value", [b"{not json", b"", b"\xff\xfe", b'{"a": 1'])
def test_malformed_json(message: Message, value: bytes) -> None:
    assert reason_of(with_value(message, value)).reason == "malformed-json"


def test_unknown_type(message: Message) -> None:
    error = reason_of(with_headers(message, ce_type="org.bluemap.records.record-published.v99"))
    assert error.reason == "unknown-type"
    assert error.detail == "org.bluemap.records.record-published.v99"


@pytest.mark.parametrize("header", REQUIRED_HEADERS)
def test_missing_attributes(message: Message, header: str) -> None:
    error = reason_of(with_headers(message, **{header: None}))
    assert error.reason == "missing-attributes"
    assert header in error.detail


def test_missing_attributes_lists_all_of_them(message: Message) -> None:
    error = reason_of(Message(topic=message.topic, key=message.key, value=message.value, headers=[]))
    assert error.reason == "missing-attributes"
    assert error.detail == ", ".join(REQUIRED_HEADERS)


def test_unsupported_specversion(message: Message) -> None:
    assert reason_of(with_headers(message, ce_specversion="0.3")).reason == "unsupported-specversion"


@pytest.mark.parametrize("event", EVENTS, ids=lambda cls: cls.event_type)
def test_invalid_payload_missing_required_field(event: type[IntegrationEvent]) -> None:
    message = envelope_of(sample(event)).to_message()
    for field in event.model_json_schema()["required"]:
        data = orjson.loads(message.value)
        del data[field]
        error = reason_of(with_value(message, orjson.dumps(data)))
        assert error.reason == "invalid-payload", field
        assert field in error.detail


def test_invalid_payload_wrong_type(message: Message) -> None:
    data = orjson.loads(message.value)
    first_uuid_field = next(k for k, v in data.items() if isinstance(v, str) and _is_uuid(v))
    data[first_uuid_field] = "not-a-uuid"
    assert reason_of(with_value(message, orjson.dumps(data))).reason == "invalid-payload"


@pytest.mark.parametrize("value", [b"[]", b"null", b'"text"', b"42"])
def test_invalid_payload_not_an_object(message: Message, value: bytes) -> None:
    assert reason_of(with_value(message, value)).reason == "invalid-payload"


@pytest.mark.parametrize(("header", "value"), [("ce_id", "not-a-uuid"), ("ce_time", "yesterday")])
def test_malformed_attribute_values_are_poison(message: Message, header: str, value: str) -> None:
    assert reason_of(with_headers(message, **{header: value})).reason == "invalid-attributes"


@pytest.mark.parametrize("value", ["2025-03-14T09:26:53", "2025-03-14"])
def test_ce_time_needs_an_offset(message: Message, value: str) -> None:
    assert reason_of(with_headers(message, ce_time=value)).reason == "invalid-attributes"


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# --- trace context ------------------------------------------------------------------------------------


def test_new_traceparent_keeps_the_parent_trace_id() -> None:
    child = new_traceparent(PARENT)
    match = TRACEPARENT.match(child)
    assert match
    assert match["trace"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert match["span"] != "00f067aa0ba902b7"
    grandchild = TRACEPARENT.match(new_traceparent(child))
    assert grandchild
    assert grandchild["trace"] == match["trace"]


@pytest.mark.parametrize("parent", [None, "", "garbage", "00-abc"])
def test_new_traceparent_starts_a_trace_without_a_usable_parent(parent: str | None) -> None:
    first, second = TRACEPARENT.match(new_traceparent(parent)), TRACEPARENT.match(new_traceparent(parent))
    assert first
    assert second
    assert first["trace"] != second["trace"]


@pytest.mark.parametrize("parent", ["a-b-c-d", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"])
def test_new_traceparent_ignores_an_invalid_parent(parent: str) -> None:
    assert TRACEPARENT.match(new_traceparent(parent))
    assert new_traceparent(parent).split("-")[1] != parent.split("-")[1]


def test_message_header_lookup() -> None:
    message = Message(topic="t", key=None, value=b"", headers=[("a", b"1"), ("b", "é".encode()), ("a", b"2")])
    assert message.header("a") == "1"
    assert message.header("b") == "é"
    assert message.header("missing") is None
