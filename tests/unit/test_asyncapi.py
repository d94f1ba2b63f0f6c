"""docs/asyncapi.yaml: generated from the event catalog, current, and a well-formed AsyncAPI 3.0.0 document."""

import difflib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bluemap_shared.events.asyncapi import (
    DEAD_LETTER_ADDRESS,
    REGENERATE,
    build_document,
    main,
    render_yaml,
    topic_service,
)
from bluemap_shared.events.catalog import CATALOG, TOPICS
from bluemap_shared.events.envelope import REQUIRED_HEADERS, IntegrationEvent
from bluemap_shared.messaging.transport import dead_letter_topic

REPO = Path(__file__).resolve().parents[2]
DOC_FILE = REPO / "docs" / "asyncapi.yaml"
EVENTS = sorted(CATALOG.values(), key=lambda cls: cls.event_type)
EVENT_TYPE = re.compile(r"^org\.bluemap\.(?P<service>[a-z]+)\.[a-z]+(?:-[a-z]+)*\.v[1-9][0-9]*$")
COMPONENT_KEY = re.compile(r"^[\w.\-]+$")

# The fixed fields of AsyncAPI 3.0.0 objects (each also allows x-* extensions, nothing else).
ROOT_FIELDS = {"asyncapi", "id", "info", "servers", "defaultContentType", "channels", "operations", "components"}
INFO_FIELDS = {"title", "version", "description", "termsOfService", "contact", "license", "tags", "externalDocs"}
SERVER_FIELDS = {
    "host", "protocol", "protocolVersion", "pathname", "description", "title", "summary",
    "variables", "security", "tags", "externalDocs", "bindings",
}  # fmt: skip
CHANNEL_FIELDS = {
    "address", "messages", "title", "summary", "description", "servers", "parameters", "tags", "externalDocs",
    "bindings",
}  # fmt: skip
OPERATION_FIELDS = {
    "action", "channel", "title", "summary", "description", "security", "tags", "externalDocs", "bindings",
    "traits", "messages", "reply",
}  # fmt: skip
MESSAGE_FIELDS = {
    "headers", "payload", "correlationId", "contentType", "name", "title", "summary", "description", "tags",
    "externalDocs", "bindings", "examples", "traits",
}  # fmt: skip
PARAMETER_FIELDS = {"enum", "default", "description", "examples", "location"}


# --- a small JSON-pointer resolver for local $refs -------------------------------------------------


class UnresolvedRefError(LookupError):
    pass


def resolve(document: Any, ref: str) -> Any:
    """Follow a local reference (`#/a/b~1c`) through the document; raise UnresolvedRefError if it leads nowhere."""
    if not ref.startswith("#/"):
        raise UnresolvedRefError(f"{ref}: only local references are allowed in this document")
    node = document
    for raw in ref[2:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise UnresolvedRefError(f"{ref}: nothing at {token!r}")
    return node


def refs(node: Any, path: str = "#") -> Iterator[tuple[str, str]]:
    """Every $ref in the document, with where it occurs."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield path, value
            else:
                yield from refs(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from refs(item, f"{path}/{index}")


def deref(document: dict[str, Any], node: Any) -> Any:
    """A Reference Object's target (following chains), or the node itself."""
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref not in seen, f"reference cycle through {ref}"
        seen.add(ref)
        node = resolve(document, ref)
    return node


def is_reference(node: Any) -> bool:
    return isinstance(node, dict) and set(node) == {"$ref"} and isinstance(node["$ref"], str)


def extensions_removed(node: dict[str, Any]) -> set[str]:
    return {key for key in node if not key.startswith("x-")}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The document as consumers read it: the YAML, parsed back."""
    parsed: dict[str, Any] = yaml.safe_load(render_yaml())
    return parsed


# --- the committed file ----------------------------------------------------------------------------


def test_committed_document_is_current() -> None:
    expected = render_yaml()
    if not DOC_FILE.exists():
        pytest.fail(f"{DOC_FILE.relative_to(REPO)} is missing; generate it (from the repo root) with: {REGENERATE}")
    actual = DOC_FILE.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            list(
                difflib.unified_diff(
                    actual.splitlines(keepends=True),
                    expected.splitlines(keepends=True),
                    "docs/asyncapi.yaml (committed)",
                    "docs/asyncapi.yaml (generated)",
                )
            )[:60]
        )
        pytest.fail(
            f"docs/asyncapi.yaml is stale (not what the event catalog generates). Regenerate it from the repo root:\n"
            f"    {REGENERATE}\n\n{diff}"
        )


def test_yaml_round_trips_to_the_built_document(document: dict[str, Any]) -> None:
    assert document == build_document()


def test_output_is_deterministic() -> None:
    assert render_yaml() == render_yaml()


def test_check_flag_fails_on_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "asyncapi.yaml"
    stale.write_text(render_yaml().replace("version: 1.0.0", "version: 0.0.1"), encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["--check", str(stale)])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "stale" in err
    assert REGENERATE in err


def test_check_flag_fails_on_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--check", str(tmp_path / "absent.yaml")])
    assert exited.value.code == 1
    assert REGENERATE in capsys.readouterr().err


def test_check_flag_passes_on_a_current_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    current = tmp_path / "asyncapi.yaml"
    current.write_text(render_yaml(), encoding="utf-8")
    main(["--check", str(current)])
    assert "up to date" in capsys.readouterr().out


def test_main_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    main([])
    assert capsys.readouterr().out == render_yaml()


# --- the catalog is all there ----------------------------------------------------------------------


@pytest.mark.parametrize("event", EVENTS, ids=lambda cls: cls.event_type)
def test_catalog_type_names_follow_the_convention(event: type[IntegrationEvent]) -> None:
    match = EVENT_TYPE.match(event.event_type)
    assert match, f"{event.event_type} is not org.bluemap.<service>.<kebab-name>.v<N>"
    assert match["service"] == topic_service(event.topic), f"{event.event_type} is published to {event.topic}"


@pytest.mark.parametrize("event", EVENTS, ids=lambda cls: cls.event_type)
def test_every_event_is_a_message_on_its_topic_channel(document: dict[str, Any], event: type[IntegrationEvent]) -> None:
    channel = document["channels"][event.topic]
    assert channel["address"] == event.topic
    assert event.__name__ in channel["messages"], f"{event.event_type} missing from channel {event.topic}"
    message = deref(document, channel["messages"][event.__name__])
    assert message["name"] == event.__name__
    assert message["contentType"] == "application/json"
    assert message["summary"]
    headers = deref(document, message["headers"])
    assert headers["type"] == "object"
    assert headers["properties"]["ce_type"]["const"] == event.event_type
    assert headers["properties"]["ce_specversion"]["const"] == "1.0"
    assert set(REQUIRED_HEADERS) <= set(headers["required"])
    assert set(headers["required"]) <= set(headers["properties"])
    key = message["bindings"]["kafka"]["key"]
    assert key["type"] == "string"
    assert key["format"] == "uuid"


@pytest.mark.parametrize("event", EVENTS, ids=lambda cls: cls.event_type)
def test_payload_is_the_model_schema(document: dict[str, Any], event: type[IntegrationEvent]) -> None:
    expected = event.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = expected.pop("$defs", {})
    payload = document["components"]["messages"][event.__name__]["payload"]
    assert payload == expected
    for name, schema in definitions.items():
        assert document["components"]["schemas"][name] == schema


@pytest.mark.parametrize("event", EVENTS, ids=lambda cls: cls.event_type)
def test_the_topic_owner_sends_every_event(document: dict[str, Any], event: type[IntegrationEvent]) -> None:
    sending = [
        operation
        for operation in document["operations"].values()
        if operation["action"] == "send" and operation["channel"] == {"$ref": f"#/channels/{event.topic}"}
    ]
    assert len(sending) == 1, f"expected one send operation on {event.topic}"
    operation = sending[0]
    assert {"name": topic_service(event.topic)} in operation["tags"]
    assert {"$ref": f"#/channels/{event.topic}/messages/{event.__name__}"} in operation["messages"]


def test_one_channel_per_topic_and_nothing_else_from_the_catalog(document: dict[str, Any]) -> None:
    for topic, description in TOPICS.items():
        channel = document["channels"][topic]
        assert channel["description"] == description
        assert set(channel["messages"]) == {cls.__name__ for cls in CATALOG.values() if cls.topic == topic}
    event_messages = set(document["components"]["messages"]) - {"DeadLetter"}
    assert event_messages == {cls.__name__ for cls in CATALOG.values()}
    event_channels = {key for key, channel in document["channels"].items() if "{" not in channel["address"]}
    assert event_channels == set(TOPICS)


# --- AsyncAPI 3.0.0 structure ----------------------------------------------------------------------


def test_dead_letter_channel_is_the_transports(document: dict[str, Any]) -> None:
    assert dead_letter_topic("{consumer}") == DEAD_LETTER_ADDRESS
    assert document["channels"]["bluemap.dlt"]["address"] == dead_letter_topic("{consumer}")


def test_root_and_info(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert extensions_removed(document) <= ROOT_FIELDS
    info = document["info"]
    assert extensions_removed(info) <= INFO_FIELDS
    assert info["title"] == "Blue Map integration events"
    assert isinstance(info["version"], str)
    assert info["version"]
    for topic in ("binary", "ce_subject", "additive", "version"):
        assert topic in info["description"]


def test_servers(document: dict[str, Any]) -> None:
    assert document["servers"]
    for server in document["servers"].values():
        assert extensions_removed(server) <= SERVER_FIELDS
        assert server["protocol"] == "kafka"
        assert isinstance(server["host"], str)
        for variable in re.findall(r"{([^}]*)}", server["host"]):
            assert variable in server["variables"], f"host variable {variable} is not declared"


def test_every_ref_resolves(document: dict[str, Any]) -> None:
    found = list(refs(document))
    assert found, "the document uses no references at all"
    unresolved = []
    for where, ref in found:
        try:
            resolve(document, ref)
        except UnresolvedRefError as exc:
            unresolved.append(f"{where}: {exc}")
    assert not unresolved, "\n".join(unresolved)


def test_resolver_rejects_what_does_not_resolve() -> None:
    document = {"a": {"b/c": [{"d": 1}]}}
    assert resolve(document, "#/a/b~1c/0/d") == 1
    for bad in ("#/a/x", "#/a/b~1c/1", "#/a/b~1c/0/d/e", "other.yaml#/a", "#a"):
        with pytest.raises(UnresolvedRefError):
            resolve(document, bad)


def test_channels(document: dict[str, Any]) -> None:
    for channel_id, channel in document["channels"].items():
        assert extensions_removed(channel) <= CHANNEL_FIELDS, channel_id
        assert channel["messages"], f"channel {channel_id} carries no messages"
        for message_id, message in channel["messages"].items():
            assert is_reference(message), f"{channel_id}/{message_id} should reference components.messages"
            assert message["$ref"].startswith("#/components/messages/")
            assert extensions_removed(deref(document, message)) <= MESSAGE_FIELDS
        declared = set(channel.get("parameters", {}))
        assert set(re.findall(r"{([^}]*)}", channel["address"])) == declared, channel_id
        for parameter in channel.get("parameters", {}).values():
            assert extensions_removed(parameter) <= PARAMETER_FIELDS


def test_operations(document: dict[str, Any]) -> None:
    channels_with_send = []
    for operation_id, operation in document["operations"].items():
        assert extensions_removed(operation) <= OPERATION_FIELDS, operation_id
        assert operation["action"] in {"send", "receive"}
        assert is_reference(operation["channel"])
        channel_ref = operation["channel"]["$ref"]
        assert channel_ref.startswith("#/channels/"), operation_id
        channel = resolve(document, channel_ref)
        if operation["action"] == "send":
            channels_with_send.append(channel_ref)
        # Operation messages MUST be references to messages of the operation's own channel.
        assert operation["messages"], operation_id
        for message in operation["messages"]:
            assert is_reference(message), operation_id
            prefix = f"{channel_ref}/messages/"
            assert message["$ref"].startswith(prefix), f"{operation_id}: {message['$ref']} is not on {channel_ref}"
            assert message["$ref"].removeprefix(prefix) in channel["messages"]
    assert sorted(channels_with_send) == sorted(f"#/channels/{key}" for key in document["channels"])


def test_components(document: dict[str, Any]) -> None:
    components = document["components"]
    for section in components.values():
        for key in section:
            assert COMPONENT_KEY.match(key), f"component key {key} is not allowed"
    used = {ref for _, ref in refs(document)}
    for section, entries in components.items():
        for key in entries:
            assert f"#/components/{section}/{key}" in used, f"components.{section}.{key} is never used"
