"""Email API shapes."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class EmailPublic(BaseModel):
    """An email's delivery status."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tenant_id: str
    purpose: str
    cause_event_id: UUID
    enterprise_id: UUID | None
    recipients: list[str]
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    message_id: str
    created_at: datetime
    sent_at: datetime | None


class AttachmentPublic(BaseModel):
    """A file an email carries (its download link is not shown: it is a capability)."""

    model_config = ConfigDict(from_attributes=True)

    filename: str
    content_type: str
    size: int
    sha256: str


class EmailDetail(EmailPublic):
    """An email's delivery status and content."""

    body_text: str
    body_html: str | None
    attachments: list[AttachmentPublic] = []
