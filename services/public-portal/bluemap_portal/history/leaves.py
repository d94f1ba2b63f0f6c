"""What each public change puts in the log: a leaf of identifiers and the digest of its public text.

The text itself (the content) is kept beside the leaf, salted, and dropped when its record is retracted:
the leaf still verifies, and the digest tells nothing of the text without the salt.
"""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import orjson
import rfc8785

from bluemap_shared.events.catalog import (
    DocumentPublished,
    ExplanationPublished,
    RecordPublished,
    RecordRetracted,
    RecordStatusChanged,
    RecordUpdated,
)
from bluemap_shared.events.envelope import Envelope

LEAF_VERSION = 1
RECORD_PUBLISHED = "record-published"
RECORD_REVISED = "record-revised"
RECORD_RESOLVED = "record-resolved"
RECORD_RESTORED = "record-restored"
RECORD_STATUS_CHANGED = "record-status-changed"
RECORD_RETRACTED = "record-retracted"
EXPLANATION_PUBLISHED = "explanation-published"
DOCUMENT_PUBLISHED = "document-published"
# The statuses whose change the log names on its own (the operator's audit decisions, with their reason).
STATUS_KINDS = {"resolved": RECORD_RESOLVED, "restored": RECORD_RESTORED}
SALT_BYTES = 16


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of a JSON value the log makes: what is hashed and signed.

    Its values hold strings, integers within +-2**53, booleans, nulls, lists and objects whose keys are our
    ASCII field names, never floats: there orjson's sorted compact UTF-8 is byte for byte JCS (a property
    test holds it to the rfc8785 package, which the verifier uses), at a tenth of the pure-Python cost.
    """
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def canonical_reference(value: Any) -> bytes:
    """RFC 8785 bytes of any JSON value, by the rfc8785 package: what verifiers recompute leaves with."""
    return rfc8785.dumps(value)


def content_digest(content: dict[str, Any]) -> str:
    """SHA-256 of the content's canonical JSON, hex: what its leaf holds."""
    return hashlib.sha256(canonical_reference(content)).hexdigest()


@dataclass(frozen=True)
class SaltedContent:
    """A change's content with its salt, as canonical JSON, and that JSON's SHA-256 (hex)."""

    json: bytes
    digest: str


@dataclass
class Change:
    """A public change about to be appended: the leaf's fields and the content it commits to."""

    tenant_id: str
    kind: str
    fields: dict[str, Any]
    content: dict[str, Any] | None = None
    record_id: UUID | None = None
    # More records the change is listed under (a document's).
    linked_records: Sequence[UUID] = field(default_factory=tuple)

    def salted_content(self) -> SaltedContent | None:
        """The content with a fresh salt, canonical; None for a change without text."""
        if self.content is None:
            return None
        salted = canonical({"salt": secrets.token_hex(SALT_BYTES), **self.content})
        return SaltedContent(salted, hashlib.sha256(salted).hexdigest())

    def leaf(self, salted: SaltedContent | None) -> dict[str, Any]:
        """The leaf's JSON value; salted is this change's salted content."""
        leaf = {"v": LEAF_VERSION, "log": self.tenant_id, "kind": self.kind, **self.fields}
        if salted is not None:
            leaf["content_sha256"] = salted.digest
        return leaf


def _data(envelope: Envelope[Any]) -> dict[str, Any]:
    """The event's data as JSON values (UUIDs, dates as strings): serialised by pydantic's core, read by orjson."""
    data: dict[str, Any] = orjson.loads(envelope.payload())
    return data


def _fields(envelope: Envelope[Any], data: dict[str, Any], *names: str) -> dict[str, Any]:
    """The leaf's fields: the event's id and the named fields of its data that are present."""
    return {"event_id": str(envelope.id), **{name: data[name] for name in names if data.get(name) is not None}}


def _picked(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: data.get(name) for name in names}


_EXPLANATION_TEXT = ("violation", "reasons", "corrective_actions", "monitoring")
_DOCUMENT_TEXT = ("kind", "category", "filename", "content_type", "size", "sha256")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _record_content(event: RecordPublished | RecordUpdated) -> dict[str, Any]:
    """A record's public text, read off the event (the import's hot path: no JSON round trip)."""
    return {
        "record_type": event.record_type,
        "explainable": event.explainable,
        "year": event.year,
        "source_title": event.source_title,
        "issuing_authority": event.issuing_authority,
        "issued_on": event.issued_on.isoformat(),
        "source_url": event.source_url,
        "summary": event.summary,
        "explanation_due_on": _iso(event.explanation_due_on),
        "enterprise": {"uscc": event.enterprise.uscc, "name": event.enterprise.name},
    }


def record_published(envelope: Envelope[RecordPublished]) -> Change:
    event = envelope.data
    fields = {
        "event_id": str(envelope.id),
        "record_id": str(event.record_id),
        "enterprise_id": str(event.enterprise.enterprise_id),
        "published_at": event.published_at.isoformat(),
    }
    return Change(envelope.tenant_id, RECORD_PUBLISHED, fields, _record_content(event), record_id=event.record_id)


def record_revised(envelope: Envelope[RecordUpdated]) -> Change:
    event = envelope.data
    fields = {
        "event_id": str(envelope.id),
        "record_id": str(event.record_id),
        "enterprise_id": str(event.enterprise.enterprise_id),
        "revision": event.revision,
        "updated_at": event.updated_at.isoformat(),
    }
    return Change(envelope.tenant_id, RECORD_REVISED, fields, _record_content(event), record_id=event.record_id)


def record_status_changed(envelope: Envelope[RecordStatusChanged]) -> Change:
    kind = STATUS_KINDS.get(envelope.data.status, RECORD_STATUS_CHANGED)
    names = ("record_id", "enterprise_id", "previous_status", "status", "reason", "changed_at")
    fields = _fields(envelope, _data(envelope), *names)
    return Change(envelope.tenant_id, kind, fields, record_id=envelope.data.record_id)


def record_retracted(envelope: Envelope[RecordRetracted]) -> Change:
    fields = _fields(envelope, _data(envelope), "record_id", "enterprise_id", "reason", "retracted_at")
    return Change(envelope.tenant_id, RECORD_RETRACTED, fields, record_id=envelope.data.record_id)


def explanation_published(envelope: Envelope[ExplanationPublished]) -> Change:
    data = _data(envelope)
    names = ("explanation_id", "submission_id", "record_id", "enterprise_id", "published_at")
    fields = _fields(envelope, data, *names)
    content = _picked(data, _EXPLANATION_TEXT)
    return Change(envelope.tenant_id, EXPLANATION_PUBLISHED, fields, content, record_id=envelope.data.record_id)


def document_published(envelope: Envelope[DocumentPublished]) -> Change:
    data = _data(envelope)
    fields = _fields(envelope, data, "document_id", "enterprise_id", "record_ids", "submission_id", "published_at")
    content = _picked(data, _DOCUMENT_TEXT)
    return Change(
        envelope.tenant_id, DOCUMENT_PUBLISHED, fields, content, linked_records=tuple(envelope.data.record_ids)
    )
