"""Pure rules: which events are public changes, their CloudEvent (structured JSON mode), whom they concern."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from bluemap_shared.events.catalog import (
    DocumentPublished,
    EnterpriseSnapshot,
    ExplanationPublished,
    RecordPublished,
    RecordRetracted,
    RecordStatusChanged,
    RecordUpdated,
)
from bluemap_shared.events.envelope import SPEC_VERSION, Envelope

CLOUDEVENTS_JSON = "application/cloudevents+json"
# Statuses a RecordStatusChanged makes public; the others are steps of the explanation workflow.
PUBLIC_STATUSES = {"resolved": "record.resolved", "restored": "record.restored"}
KINDS = (
    "record.published",
    "record.revised",
    "record.resolved",
    "record.restored",
    "record.retracted",
    "explanation.published",
    "document.published",
)


@dataclass(frozen=True)
class PublicChange:
    """A change the public sees, with what subscriptions filter on."""

    kind: str
    tenant_id: str
    event_id: UUID
    subject: str
    time: datetime
    enterprise_id: UUID
    data: dict[str, Any]
    record_ids: tuple[UUID, ...] = ()
    record_type: str | None = None  # known from the event itself (record events)
    region_code: str | None = None

    @property
    def cloudevent_type(self) -> str:
        """org.bluemap.public.<kind-in-kebab>.v1, e.g. org.bluemap.public.record-published.v1."""
        return f"org.bluemap.public.{self.kind.replace('.', '-')}.v1"

    def body(self, source: str) -> bytes:
        """The CloudEvent in structured JSON mode (CloudEvents 1.0 JSON format), the bytes that are signed."""
        return orjson.dumps(
            {
                "specversion": SPEC_VERSION,
                "id": str(self.event_id),
                "source": source,
                "type": self.cloudevent_type,
                "subject": self.subject,
                "time": self.time.isoformat(),
                "datacontenttype": "application/json",
                "tenantid": self.tenant_id,
                "data": self.data,
            }
        )


def _enterprise(snapshot: EnterpriseSnapshot) -> dict[str, Any]:
    # Registered addresses are the enterprise's contact for the operator, not public data.
    return {
        "enterprise_id": str(snapshot.enterprise_id),
        "uscc": snapshot.uscc,
        "name": snapshot.name,
        "name_en": snapshot.name_en,
        "region_code": snapshot.region_code,
    }


def _json(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


def public_change(envelope: Envelope[Any]) -> PublicChange | None:
    """The public change an event makes, or None for events the public does not see."""
    event = envelope.data
    common: dict[str, Any] = {"tenant_id": envelope.tenant_id, "event_id": envelope.id, "time": envelope.time}
    if isinstance(event, RecordPublished | RecordUpdated):
        fields = {
            "record_id": str(event.record_id),
            "enterprise": _enterprise(event.enterprise),
            "record_type": event.record_type,
            "year": event.year,
            "source_title": event.source_title,
            "issuing_authority": event.issuing_authority,
            "issued_on": event.issued_on.isoformat(),
            "source_url": event.source_url,
            "summary": event.summary,
            "explanation_due_on": event.explanation_due_on.isoformat() if event.explanation_due_on else None,
        }
        if isinstance(event, RecordPublished):
            kind, fields["published_at"] = "record.published", event.published_at.isoformat()
        else:
            kind, fields["revision"] = "record.revised", event.revision
            fields["updated_at"] = event.updated_at.isoformat()
        return PublicChange(
            kind=kind,
            subject=str(event.record_id),
            enterprise_id=event.enterprise.enterprise_id,
            data=fields,
            record_ids=(event.record_id,),
            record_type=event.record_type,
            region_code=event.enterprise.region_code,
            **common,
        )
    if isinstance(event, RecordStatusChanged):
        status_kind = PUBLIC_STATUSES.get(event.status)
        if status_kind is None:
            return None
        return PublicChange(
            kind=status_kind,
            subject=str(event.record_id),
            enterprise_id=event.enterprise_id,
            data={
                "record_id": str(event.record_id),
                "enterprise_id": str(event.enterprise_id),
                "previous_status": event.previous_status,
                "status": event.status,
                "reason": event.reason,
                "changed_at": event.changed_at.isoformat(),
            },
            record_ids=(event.record_id,),
            **common,
        )
    if isinstance(event, RecordRetracted):
        return PublicChange(
            kind="record.retracted",
            subject=str(event.record_id),
            enterprise_id=event.enterprise_id,
            data={
                "record_id": str(event.record_id),
                "enterprise_id": str(event.enterprise_id),
                "reason": event.reason,
                "retracted_at": event.retracted_at.isoformat(),
            },
            record_ids=(event.record_id,),
            **common,
        )
    if isinstance(event, ExplanationPublished):
        # Who reviewed it and the reviewer's comment are the operator's, not the public's.
        data = _json(event.model_dump(exclude={"reviewed_by", "comment"}))
        return PublicChange(
            kind="explanation.published",
            subject=str(event.explanation_id),
            enterprise_id=event.enterprise_id,
            data=data,
            record_ids=(event.record_id,),
            **common,
        )
    if isinstance(event, DocumentPublished):
        data = _json(event.model_dump(exclude={"reviewed_by", "comment"}))
        return PublicChange(
            kind="document.published",
            subject=str(event.document_id),
            enterprise_id=event.enterprise_id,
            data=data,
            record_ids=tuple(event.record_ids),
            **common,
        )
    return None


def region_matches(wanted: str, region_code: str | None) -> bool:
    """True when region_code lies in the wanted region: 440000 (a province) holds 440300 and 440305."""
    if not region_code:
        return False
    prefix = wanted
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return region_code.startswith(prefix)


@dataclass(frozen=True)
class Filters:
    """A subscription's filters; each empty one lets everything through, the given ones must all match."""

    enterprise_ids: frozenset[str]
    region_codes: tuple[str, ...]
    record_types: frozenset[str]

    def matches(self, change: PublicChange, *, region_code: str | None, record_types: Sequence[str]) -> bool:
        if self.enterprise_ids and str(change.enterprise_id) not in self.enterprise_ids:
            return False
        if self.region_codes and not any(region_matches(wanted, region_code) for wanted in self.region_codes):
            return False
        return not self.record_types or any(t in self.record_types for t in record_types)


def source_of(tenant_id: str) -> str:
    """The CloudEvents source of a tenant's public changes."""
    return f"/bluemap/{tenant_id}/public"
