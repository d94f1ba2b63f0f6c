"""AsyncAPI 3.0.0 description of the integration events, generated from the event catalog.

    python -m bluemap_shared.events.asyncapi > docs/asyncapi.yaml
    python -m bluemap_shared.events.asyncapi --check docs/asyncapi.yaml

Every channel, message and payload schema comes from CATALOG and TOPICS; the headers come from
the envelope's constants. Nothing here is written by hand per event, so the document cannot drift
from the code as long as the file is regenerated (tests/unit/test_asyncapi.py fails otherwise).
"""

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bluemap_shared.events.catalog import CATALOG, TOPICS
from bluemap_shared.events.envelope import CONTENT_TYPE, REQUIRED_HEADERS, SPEC_VERSION, IntegrationEvent

ASYNCAPI_VERSION = "3.0.0"
# The version of this document's shape; each event type carries its own version in its type string.
DOCUMENT_VERSION = "1.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
TITLE = "Blue Map integration events"
SERVER = "kafka"
TOPIC_PREFIX = "bluemap."
REGENERATE = "python -m bluemap_shared.events.asyncapi > docs/asyncapi.yaml"
SCHEMA_REF = "#/components/schemas/{model}"
DEAD_LETTER_CHANNEL = "bluemap.dlt"
# messaging.transport.dead_letter_topic, spelled out so the event contracts do not import the messaging
# machinery (which imports them); tests/unit/test_asyncapi.py checks the two agree.
DEAD_LETTER_ADDRESS = "bluemap.dlt.{consumer}"
DEAD_LETTER_MESSAGE = "DeadLetter"
# Written by EventConsumer._dead_letter (messaging/inbox.py) on top of the original headers.
DEAD_LETTER_REASONS = (
    "missing-attributes",
    "unsupported-specversion",
    "unknown-type",
    "malformed-json",
    "invalid-payload",
    "handler-failed",
)
TRACEPARENT_PATTERN = "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"

DESCRIPTION = f"""\
Every integration event the Blue Map services publish, generated from the event catalog
(`bluemap_shared.events.catalog`). Regenerate with `{REGENERATE}`.

**Envelope.** Each message is a CloudEvents {SPEC_VERSION} event in the Kafka protocol binding's
*binary content mode*: the context attributes travel as `ce_*` record headers (`ce_id`, `ce_source`,
`ce_specversion`, `ce_type`, `ce_subject`, `ce_time`, the `ce_tenantid` extension and, when the
event was caused by a traced request, `ce_traceparent`), the `content-type` header is
`{CONTENT_TYPE}`, and the record value is the event data alone, as JSON. `ce_type` names the
message: one catalog type, one message here.

**Keys and ordering.** The record key is the aggregate id (a UUID) and equals `ce_subject`, so
all events of one aggregate land on one partition and are consumed in order. Events are sent from
each service's transactional outbox, at least once: consumers deduplicate on `ce_id`.

**Versioning.** An event type ends in its version (`....v1`). Within a version, only additive,
optional fields may appear, so consumers must ignore fields they do not know; any other change
(removing, renaming or retyping a field, making a field required, changing its meaning) is a new
type version: a new catalog entry whose type ends in the next version, with its own message here.

**Dead letters.** A consumer group that cannot process a message (malformed, unknown type,
missing attributes, invalid payload, or a handler that keeps failing) copies it, with its
headers, to its own dead-letter topic `{DEAD_LETTER_ADDRESS}` and adds `dlt_*` headers.

**Topic names.** A deployment may prefix every topic and consumer group with a namespace
(the `kafka_namespace` setting) to share a cluster; the addresses here are unprefixed.
"""


def build_document() -> dict[str, Any]:
    """The whole AsyncAPI document as plain data, in a deterministic order."""
    events = _events()
    schemas: dict[str, Any] = {}
    messages = {cls.__name__: _message(cls, schemas) for cls in events}
    messages[DEAD_LETTER_MESSAGE] = _dead_letter_message()

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in sorted(TOPICS):
        names = sorted(cls.__name__ for cls in events if cls.topic == topic)
        service = topic_service(topic)
        channels[topic] = {
            "address": topic,
            "title": topic,
            "description": TOPICS[topic],
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        }
        operations[f"{service}.send"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic}"},
            "title": f"The {service} service publishes to {topic}",
            "summary": f"Sent by the {service} service through its transactional outbox, keyed by aggregate id.",
            "tags": [{"name": service}],
            "messages": [{"$ref": f"#/channels/{topic}/messages/{name}"} for name in names],
        }
    channels[DEAD_LETTER_CHANNEL] = _dead_letter_channel()
    operations["consumers.dead-letter"] = {
        "action": "send",
        "channel": {"$ref": f"#/channels/{DEAD_LETTER_CHANNEL}"},
        "title": "A consumer group dead-letters a message",
        "summary": "Any consumer group, after a poison message or its last failed retry.",
        "messages": [{"$ref": f"#/channels/{DEAD_LETTER_CHANNEL}/messages/{DEAD_LETTER_MESSAGE}"}],
    }

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {"title": TITLE, "version": DOCUMENT_VERSION, "description": DESCRIPTION},
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            SERVER: {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The Kafka cluster every service publishes to and consumes from.",
                "variables": {
                    "bootstrap": {
                        "default": "localhost:9092",
                        "description": "Bootstrap server (host:port), the `kafka_bootstrap` setting of each service.",
                    }
                },
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "messages": dict(sorted(messages.items())),
        },
    }


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]  # yaml is untyped here (no types-PyYAML)
    """The safe dumper, writing multi-line strings as literal blocks so the prose stays readable."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def render_yaml() -> str:
    """The document as YAML, exactly as docs/asyncapi.yaml must read."""
    body = yaml.dump(build_document(), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return f"# Generated from bluemap_shared.events.catalog; do not edit. Regenerate with:\n#   {REGENERATE}\n{body}"


def topic_service(topic: str) -> str:
    """The service that owns (and alone publishes to) a topic: `bluemap.<service>`."""
    if not topic.startswith(TOPIC_PREFIX) or "." in topic.removeprefix(TOPIC_PREFIX):
        raise ValueError(f"topic {topic} is not of the form {TOPIC_PREFIX}<service>")
    return topic.removeprefix(TOPIC_PREFIX)


def _events() -> list[type[IntegrationEvent]]:
    events = sorted(CATALOG.values(), key=lambda cls: cls.__name__)
    names = [cls.__name__ for cls in events]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"event class names must be unique, they name the messages: {duplicates}")
    if DEAD_LETTER_MESSAGE in names:
        raise ValueError(f"{DEAD_LETTER_MESSAGE} is reserved for the dead-letter message")
    return events


def _docstring(cls: type) -> tuple[str, str]:
    """First paragraph and the rest of a class's own docstring (never an inherited one)."""
    doc = cls.__doc__
    if not doc or not doc.strip():
        raise ValueError(f"{cls.__name__} needs a docstring: it is the event's documentation")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", doc.strip())]
    return paragraphs[0], "\n\n".join(paragraphs[1:])


def _title(cls: type[IntegrationEvent]) -> str:
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", cls.__name__)
    phrase = " ".join([words[0], *(w.lower() for w in words[1:])])
    version = cls.event_type.rsplit(".", 1)[-1]
    return f"{phrase} ({version})"


def _message(cls: type[IntegrationEvent], schemas: dict[str, Any]) -> dict[str, Any]:
    summary, rest = _docstring(cls)
    details = [
        f"CloudEvents type `{cls.event_type}`, published to `{cls.topic}`.",
        *(text for text in (rest, cls.description) if text),
    ]
    return {
        "name": cls.__name__,
        "title": _title(cls),
        "summary": summary,
        "description": "\n\n".join(details),
        "contentType": CONTENT_TYPE,
        "headers": _headers(cls),
        "payload": _payload(cls, schemas),
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "format": "uuid",
                    "description": "The aggregate id, equal to the ce_subject header.",
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _headers(cls: type[IntegrationEvent]) -> dict[str, Any]:
    """The CloudEvents context attributes, as Kafka headers (binary content mode)."""
    properties: dict[str, Any] = {
        "ce_id": {"type": "string", "format": "uuid", "description": "Event id (UUIDv7); consumers deduplicate on it."},
        "ce_source": {
            "type": "string",
            "format": "uri-reference",
            "description": "The publishing service, /bluemap/<service>.",
            "examples": [f"/bluemap/{topic_service(cls.topic)}"],
        },
        "ce_specversion": {"type": "string", "const": SPEC_VERSION},
        "ce_type": {"type": "string", "const": cls.event_type},
        "ce_subject": {
            "type": "string",
            "format": "uuid",
            "description": "The aggregate id; also the record key.",
        },
        "ce_time": {"type": "string", "format": "date-time", "description": "When the event happened (RFC 3339)."},
        "ce_tenantid": {"type": "string", "description": "The tenant the event belongs to (extension attribute)."},
        "ce_traceparent": {
            "type": "string",
            "pattern": TRACEPARENT_PATTERN,
            "description": "W3C trace context of the request that caused the event, when there was one.",
        },
        "content-type": {"type": "string", "const": CONTENT_TYPE},
    }
    missing = [name for name in REQUIRED_HEADERS if name not in properties]
    if missing:
        raise ValueError(f"the envelope requires headers this document does not describe: {missing}")
    return {"type": "object", "properties": properties, "required": [*REQUIRED_HEADERS, "content-type"]}


def _payload(cls: type[IntegrationEvent], schemas: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON schema, its $defs lifted into components.schemas."""
    schema = cls.model_json_schema(ref_template=SCHEMA_REF)
    for name, definition in schema.pop("$defs", {}).items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are both named {name} (seen again in {cls.__name__})")
    return schema


def _dead_letter_channel() -> dict[str, Any]:
    return {
        "address": DEAD_LETTER_ADDRESS,
        "title": DEAD_LETTER_ADDRESS,
        "description": (
            "One dead-letter topic per consumer group, since each group fails for its own reasons. "
            "The consumer also keeps the message in its dead_letters table, the record of truth; "
            "this topic is a convenience for tooling."
        ),
        "parameters": {"consumer": {"description": "The consumer group's name."}},
        "messages": {DEAD_LETTER_MESSAGE: {"$ref": f"#/components/messages/{DEAD_LETTER_MESSAGE}"}},
    }


def _dead_letter_message() -> dict[str, Any]:
    reasons = ", ".join(f"`{reason}`" for reason in DEAD_LETTER_REASONS)
    return {
        "name": DEAD_LETTER_MESSAGE,
        "title": "Dead letter",
        "summary": "A message a consumer group gave up on, copied with its key, value and headers.",
        "description": (
            "The original record's key, value and headers, unchanged (the value may not even be JSON), "
            "plus the dlt_* headers below. The original ce_* headers are present when the original had them."
        ),
        "contentType": "application/octet-stream",
        "headers": {
            "type": "object",
            "properties": {
                "dlt_reason": {"type": "string", "description": f"Why: one of {reasons}."},
                "dlt_error": {"type": "string", "maxLength": 1000, "description": "The error, truncated."},
                "dlt_original_topic": {"type": "string", "description": "Topic of the original, unprefixed."},
                "dlt_original_partition": {
                    "type": "string",
                    "pattern": "^-?[0-9]+$",
                    "description": "Partition of the original; -1 when it did not come from Kafka.",
                },
                "dlt_original_offset": {
                    "type": "string",
                    "pattern": "^-?[0-9]+$",
                    "description": "Offset of the original; -1 when it did not come from Kafka.",
                },
            },
            "required": [
                "dlt_reason",
                "dlt_error",
                "dlt_original_topic",
                "dlt_original_partition",
                "dlt_original_offset",
            ],
        },
        "payload": {"description": "The original record value, byte for byte."},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The original record key, if it had one."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Print the document, or with --check, exit 1 if the given file is not what it would print."""
    parser = argparse.ArgumentParser(prog="python -m bluemap_shared.events.asyncapi", description=__doc__)
    parser.add_argument("--check", metavar="FILE", type=Path, help="fail if FILE differs from the generated document")
    args = parser.parse_args(argv)
    text = render_yaml()
    if args.check is None:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
        return
    try:
        current = args.check.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    if current != text:
        state = "is missing" if current is None else "is stale"
        print(f"{args.check} {state}; regenerate it with: {REGENERATE}", file=sys.stderr)
        raise SystemExit(1)
    print(f"{args.check} is up to date")


if __name__ == "__main__":
    main()
