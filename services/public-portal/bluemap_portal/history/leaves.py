"""What each public change puts in the log: a leaf of identifiers and the digest of its public text.

The text itself (the content) is kept beside the leaf, salted, and dropped when its record is retracted:
the leaf still verifies, and the digest tells nothing of the text without the salt.
"""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

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
    """RFC 8785 (JCS) bytes of a JSON value: what is hashed and signed."""
    return rfc8785.dumps(value)


def content_digest(content: dict[str, Any]) -> str:
    """SHA-256 of the content's canonical JSON, hex: what its leaf holds."""
    return hashlib.sha256(canonical(content)).hexdigest()


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

    def salted_content(self) -> dict[str, Any] | None:
        if self.content is None:
            return None
        return {"salt": secrets.token_hex(SALT_BYTES), **self.content}

    def leaf(self, salted: dict[str, Any] | None) -> dict[str, Any]:
        """The leaf's JSON value; salted is this change's content with its salt."""
        leaf = {"v": LEAF_VERSION, "log": self.tenant_id, "kind": self.kind, **self.fields}
        if salted is not None:
            leaf["content_sha256"] = content_digest(salted)
        return leaf


def _json(envelope: Envelope[Any], *names: str) -> dict[str, Any]:
    """The named fields of the event as JSON values (UUIDs, dates as strings), without the absent ones."""
    data = envelope.data.model_dump(mode="json", include=set(names))
    return {"event_id": str(envelope.id), **{k: v for k, v in data.items() if v is not None}}


_RECORD_TEXT = (
    "record_type",
    "explainable",
    "year",
    "source_title",
    "issuing_authority",
    "issued_on",
    "source_url",
    "summary",
    "explanation_due_on",
)


def _record_content(envelope: Envelope[RecordPublished] | Envelope[RecordUpdated]) -> dict[str, Any]:
    enterprise = envelope.data.enterprise
    content = envelope.data.model_dump(mode="json", include=set(_RECORD_TEXT))
    return content | {"enterprise": {"uscc": enterprise.uscc, "name": enterprise.name}}


def record_published(envelope: Envelope[RecordPublished]) -> Change:
    event = envelope.data
    return Change(
        envelope.tenant_id,
        RECORD_PUBLISHED,
        _json(envelope, "record_id", "published_at") | {"enterprise_id": str(event.enterprise.enterprise_id)},
        _record_content(envelope),
        record_id=event.record_id,
    )


def record_revised(envelope: Envelope[RecordUpdated]) -> Change:
    event = envelope.data
    return Change(
        envelope.tenant_id,
        RECORD_REVISED,
        _json(envelope, "record_id", "revision", "updated_at") | {"enterprise_id": str(event.enterprise.enterprise_id)},
        _record_content(envelope),
        record_id=event.record_id,
    )


def record_status_changed(envelope: Envelope[RecordStatusChanged]) -> Change:
    kind = STATUS_KINDS.get(envelope.data.status, RECORD_STATUS_CHANGED)
    fields = _json(envelope, "record_id", "enterprise_id", "previous_status", "status", "reason", "changed_at")
    return Change(envelope.tenant_id, kind, fields, record_id=envelope.data.record_id)


def record_retracted(envelope: Envelope[RecordRetracted]) -> Change:
    fields = _json(envelope, "record_id", "enterprise_id", "reason", "retracted_at")
    return Change(envelope.tenant_id, RECORD_RETRACTED, fields, record_id=envelope.data.record_id)


def explanation_published(envelope: Envelope[ExplanationPublished]) -> Change:
    fields = _json(envelope, "explanation_id", "submission_id", "record_id", "enterprise_id", "published_at")
    text = {"violation", "reasons", "corrective_actions", "monitoring"}
    content = envelope.data.model_dump(mode="json", include=text)
    return Change(envelope.tenant_id, EXPLANATION_PUBLISHED, fields, content, record_id=envelope.data.record_id)


def document_published(envelope: Envelope[DocumentPublished]) -> Change:
    event = envelope.data
    fields = _json(envelope, "document_id", "enterprise_id", "record_ids", "submission_id", "published_at")
    content = event.model_dump(mode="json", include={"kind", "category", "filename", "content_type", "size", "sha256"})
    return Change(envelope.tenant_id, DOCUMENT_PUBLISHED, fields, content, linked_records=tuple(event.record_ids))
