"""The catalog of integration events: every type any service publishes, one place.

Additive, optional fields may be added to a version; anything else is a new type version.
"""

from datetime import date, datetime
from typing import Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from bluemap_shared.events.envelope import IntegrationEvent

RECORDS_TOPIC = "bluemap.records"
EXPLANATIONS_TOPIC = "bluemap.explanations"
DOCUMENTS_TOPIC = "bluemap.documents"
NOTIFICATIONS_TOPIC = "bluemap.notifications"
TOPICS = {
    RECORDS_TOPIC: "Enterprises and the government records about them (records service).",
    EXPLANATIONS_TOPIC: "Commitments and public explanations (explanations service).",
    DOCUMENTS_TOPIC: "Rendered, signed and supporting documents (documents service).",
    NOTIFICATIONS_TOPIC: "Email delivery outcomes (notifications service).",
}

CATALOG: dict[str, type[IntegrationEvent]] = {}


EventClass = TypeVar("EventClass", bound=type[IntegrationEvent])


def register(cls: EventClass) -> EventClass:
    """Add an event class to the catalog; its type string must be unique."""
    if cls.event_type in CATALOG:
        raise ValueError(f"duplicate event type {cls.event_type}")
    if cls.topic not in TOPICS:
        raise ValueError(f"{cls.__name__} names unknown topic {cls.topic}")
    CATALOG[cls.event_type] = cls
    return cls


class EnterpriseSnapshot(BaseModel):
    """What consumers need to know of an enterprise, carried with each record event."""

    model_config = ConfigDict(frozen=True)

    enterprise_id: UUID
    uscc: str = Field(description="Unified Social Credit Code (统一社会信用代码)")
    name: str
    name_en: str | None = None
    region_code: str | None = None
    registered_emails: list[EmailStr] = Field(default_factory=list)


@register
class EnterpriseRegistered(IntegrationEvent):
    """An enterprise entered a tenant's directory."""

    event_type = "org.bluemap.records.enterprise-registered.v1"
    topic = RECORDS_TOPIC

    enterprise: EnterpriseSnapshot
    industry: str | None = None

    def subject(self) -> str:
        return str(self.enterprise.enterprise_id)


@register
class RecordPublished(IntegrationEvent):
    """A government record about an enterprise became public."""

    event_type = "org.bluemap.records.record-published.v1"
    topic = RECORDS_TOPIC

    record_id: UUID
    enterprise: EnterpriseSnapshot
    record_type: str
    explainable: bool = Field(description="Whether the enterprise is asked to explain it")
    year: int
    source_title: str
    issuing_authority: str
    issued_on: date
    source_url: str | None = None
    summary: str | None = None
    published_at: datetime
    explanation_due_on: date | None = None

    def subject(self) -> str:
        return str(self.record_id)


@register
class ExplanationSaved(IntegrationEvent):
    """An enterprise saved a draft public explanation of one record."""

    event_type = "org.bluemap.explanations.explanation-saved.v1"
    topic = EXPLANATIONS_TOPIC

    explanation_id: UUID
    record_id: UUID
    enterprise_id: UUID
    version: int
    saved_by: str
    saved_at: datetime

    def subject(self) -> str:
        return str(self.explanation_id)


@register
class ExplanationSubmitted(IntegrationEvent):
    """An enterprise sent its public explanations of one or more records."""

    event_type = "org.bluemap.explanations.explanation-submitted.v1"
    topic = EXPLANATIONS_TOPIC

    submission_id: UUID
    enterprise_id: UUID
    record_ids: list[UUID]
    submitted_by: str
    submitted_at: datetime

    def subject(self) -> str:
        return str(self.submission_id)


@register
class DocumentStored(IntegrationEvent):
    """A file was stored in object storage, content-addressed."""

    event_type = "org.bluemap.documents.document-stored.v1"
    topic = DOCUMENTS_TOPIC

    document_id: UUID
    enterprise_id: UUID | None = None
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    stored_at: datetime

    def subject(self) -> str:
        return str(self.document_id)


@register
class EmailSent(IntegrationEvent):
    """An SMTP server accepted an email."""

    event_type = "org.bluemap.notifications.email-sent.v1"
    topic = NOTIFICATIONS_TOPIC

    email_id: UUID
    purpose: str
    recipients: list[EmailStr]
    cause_event_id: UUID
    sent_at: datetime

    def subject(self) -> str:
        return str(self.email_id)


@register
class EmailFailed(IntegrationEvent):
    """An email could not be delivered after every retry."""

    event_type = "org.bluemap.notifications.email-failed.v1"
    topic = NOTIFICATIONS_TOPIC

    email_id: UUID
    purpose: str
    recipients: list[EmailStr]
    cause_event_id: UUID
    reason: str
    outcome: Literal["rejected", "gave-up"]
    failed_at: datetime

    def subject(self) -> str:
        return str(self.email_id)
