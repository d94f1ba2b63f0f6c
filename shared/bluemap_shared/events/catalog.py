"""The catalog of integration events: every type any service publishes, one place.

Additive, optional fields may be added to a version; anything else is a new type version.
"""

from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Literal, TypeVar
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.networks import validate_email

from bluemap_shared.events.envelope import IntegrationEvent


@lru_cache(maxsize=65_536)  # ~15 MB at most
def _checked_email(value: str) -> str:
    """EmailStr's check and normalisation, remembered: an enterprise's addresses come with each of its events."""
    return validate_email(value)[1]


# pydantic's EmailStr, as cheap to decode again as a dict lookup: every consumer validates every event it reads.
EmailAddress = Annotated[str, AfterValidator(_checked_email), WithJsonSchema({"type": "string", "format": "email"})]

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
    registered_emails: list[EmailAddress] = Field(default_factory=list)


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
    import_id: UUID | None = Field(
        default=None, description="The import that published it; None when it was published by itself"
    )

    def subject(self) -> str:
        return str(self.record_id)


# --- Tenants (records owns the registry; every service keeps a copy of the settings it reads) ---

TENANT_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
HOSTNAME_PATTERN = r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
TenantStatus = Literal["active", "suspended"]


class TenantProfile(BaseModel):
    """A tenant's settings as every service reads them: names, hosts, language, mail sender, brand, status."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str = Field(pattern=TENANT_ID_PATTERN)
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    hostnames: list[Annotated[str, Field(pattern=HOSTNAME_PATTERN, max_length=253)]] = Field(
        default_factory=list, description="Hosts the public site answers for this tenant (lower case, no port)"
    )
    default_language: Literal["zh", "en"] = "zh"
    mail_sender_name: str = Field(min_length=1, max_length=200)
    mail_sender_address: EmailAddress
    staff_email: EmailAddress | None = Field(default=None, description="Where unanswered Live Chat questions go")
    logo_url: str | None = Field(default=None, max_length=2000)
    brand_colour: str = Field(default="#0b5cab", pattern=r"^#[0-9a-fA-F]{6}$")
    status: TenantStatus = "active"
    version: int = Field(ge=1, description="Grows with each change: a copy never goes back to an older one")


@register
class TenantConfigured(IntegrationEvent):
    """A tenant was created, edited or resumed; carries all of its settings (event-carried state)."""

    event_type = "org.bluemap.records.tenant-configured.v1"
    topic = RECORDS_TOPIC

    tenant: TenantProfile
    configured_at: datetime

    def subject(self) -> str:
        return self.tenant.tenant_id


@register
class TenantSuspended(IntegrationEvent):
    """The platform operator suspended a tenant: its site and API answer 503 until it is configured again."""

    event_type = "org.bluemap.records.tenant-suspended.v1"
    topic = RECORDS_TOPIC

    tenant_id: str = Field(pattern=TENANT_ID_PATTERN)
    version: int = Field(ge=1)
    reason: str = Field(default="", max_length=2000)
    suspended_at: datetime

    def subject(self) -> str:
        return self.tenant_id


# --- End of tenants ---


@register
class EnterpriseUpdated(IntegrationEvent):
    """An enterprise's directory entry changed (names, region, registered emails, status)."""

    event_type = "org.bluemap.records.enterprise-updated.v1"
    topic = RECORDS_TOPIC

    enterprise: EnterpriseSnapshot
    industry: str | None = None
    status: str

    def subject(self) -> str:
        return str(self.enterprise.enterprise_id)


@register
class EnterpriseEmailChangeRequested(IntegrationEvent):
    """Enterprise staff asked to change a registered email; the new address must confirm by a link.

    Carries a secret: whoever holds confirmation_token can confirm the change until expires_at, once.
    Only a hash of it is kept by records; notifications puts it in the link mailed to new_email.
    """

    event_type = "org.bluemap.records.enterprise-email-change-requested.v1"
    topic = RECORDS_TOPIC

    change_id: UUID
    enterprise_id: UUID
    enterprise_name: str
    enterprise_name_en: str | None = None
    new_email: EmailAddress = Field(description="Where the confirmation link goes")
    replaces_email: EmailAddress | None = Field(
        default=None, description="The registered address the new one replaces; told of the request"
    )
    confirmation_token: str = Field(
        description="Single-use secret of the confirmation link: {portal}/workspace/email-change/confirm?token=..."
    )
    expires_at: datetime
    locale: Literal["zh", "en"] = Field(default="zh", description="Language of the user who asked")
    requested_by: str
    requested_at: datetime

    def subject(self) -> str:
        return str(self.enterprise_id)


@register
class RecordUpdated(IntegrationEvent):
    """A record's source content changed (a re-import with different data); carries the new state."""

    event_type = "org.bluemap.records.record-updated.v1"
    topic = RECORDS_TOPIC

    record_id: UUID
    enterprise: EnterpriseSnapshot
    record_type: str
    explainable: bool
    year: int
    source_title: str
    issuing_authority: str
    issued_on: date
    source_url: str | None = None
    summary: str | None = None
    revision: int
    updated_at: datetime
    explanation_due_on: date | None = None

    def subject(self) -> str:
        return str(self.record_id)


@register
class RecordRetracted(IntegrationEvent):
    """The operator withdrew a record (published in error); it disappears from public view."""

    event_type = "org.bluemap.records.record-retracted.v1"
    topic = RECORDS_TOPIC

    record_id: UUID
    enterprise_id: UUID
    reason: str
    retracted_at: datetime

    def subject(self) -> str:
        return str(self.record_id)


@register
class RecordStatusChanged(IntegrationEvent):
    """A record moved in its disclosure lifecycle (awaiting explanation ... explained, resolved, restored)."""

    event_type = "org.bluemap.records.record-status-changed.v1"
    topic = RECORDS_TOPIC

    record_id: UUID
    enterprise_id: UUID
    previous_status: str
    status: str
    reason: str | None = None
    cause_event_id: UUID | None = None
    changed_at: datetime
    # The deadline after the change (a restore starts a new one); absent in events of older producers.
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


class CommitmentReference(BaseModel):
    """A commitment the enterprise accepted before sending, as it read it."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["accuracy", "deadline"] = Field(
        description="accuracy: information genuine and accurate; deadline: explain within 10 working days"
    )
    version: int
    language: Literal["zh", "en"]
    text: str
    text_sha256: str
    accepted_by: str
    accepted_at: datetime


class MonitoringDetails(BaseModel):
    """What an explanation of an automated-monitoring exceedance states."""

    model_config = ConfigDict(frozen=True)

    pollutant: str
    measured_value: str
    limit_value: str
    unit: str | None = None
    period_start: datetime
    period_end: datetime


class SubmittedExplanation(BaseModel):
    """One record and its explanation, as sent."""

    model_config = ConfigDict(frozen=True)

    explanation_id: UUID
    record_id: UUID
    record_type: str
    year: int
    source_title: str
    issuing_authority: str
    issued_on: date
    violation: str
    reasons: str
    corrective_actions: str
    monitoring: MonitoringDetails | None = None


@register
class CommitmentAccepted(IntegrationEvent):
    """An enterprise user accepted a commitment (a Decline is not an event: nothing changes)."""

    event_type = "org.bluemap.explanations.commitment-accepted.v1"
    topic = EXPLANATIONS_TOPIC

    acceptance_id: UUID
    enterprise_id: UUID
    commitment: CommitmentReference

    def subject(self) -> str:
        return str(self.acceptance_id)


@register
class ExplanationSubmitted(IntegrationEvent):
    """An enterprise sent its public explanations of one or more records (Send Public Explanation).

    Carries everything the public explanation PDF shows, so rendering needs no other service.
    """

    event_type = "org.bluemap.explanations.explanation-submitted.v1"
    topic = EXPLANATIONS_TOPIC

    submission_id: UUID
    enterprise: EnterpriseSnapshot
    language: Literal["zh", "en"]
    explanations: list[SubmittedExplanation] = Field(min_length=1)
    commitments: list[CommitmentReference]
    submitted_by: str
    submitted_at: datetime

    def subject(self) -> str:
        return str(self.submission_id)


@register
class ExplanationPublished(IntegrationEvent):
    """A reviewer approved an explanation: it is public next to its record."""

    event_type = "org.bluemap.explanations.explanation-published.v1"
    topic = EXPLANATIONS_TOPIC

    explanation_id: UUID
    submission_id: UUID
    record_id: UUID
    enterprise_id: UUID
    violation: str
    reasons: str
    corrective_actions: str
    monitoring: MonitoringDetails | None = None
    reviewed_by: str
    comment: str | None = None
    published_at: datetime
    # When the enterprise sent the explanation for review: the operator's review time is published_at - this.
    submitted_at: datetime | None = None

    def subject(self) -> str:
        return str(self.explanation_id)


@register
class ExplanationRejected(IntegrationEvent):
    """A reviewer sent an explanation back with a comment; the enterprise may edit and send again."""

    event_type = "org.bluemap.explanations.explanation-rejected.v1"
    topic = EXPLANATIONS_TOPIC

    explanation_id: UUID
    submission_id: UUID
    record_id: UUID
    enterprise_id: UUID
    comment: str
    reviewed_by: str
    rejected_at: datetime

    def subject(self) -> str:
        return str(self.explanation_id)


# ---- The submission workflow, owned by explanations' Submission (issue 15). Kept together: one block.


@register
class ExplanationPublishedV2(ExplanationPublished):
    """The explanation is public: the reviewer approved every explanation and the signed scan of its submission.

    v2 of explanation-published: v1 was sent per explanation as soon as it was approved, whatever the
    rest of its submission; v2 only when the whole submission is published. Consumers handle both
    while v1 events sent before the upgrade may still be in flight.
    """

    event_type = "org.bluemap.explanations.explanation-published.v2"
    topic = EXPLANATIONS_TOPIC

    verification_code: str | None = Field(default=None, description="Of the submission's rendered PDF")


@register
class ExplanationRejectedV2(ExplanationRejected):
    """A reviewer rejected this explanation, so its whole submission went back to the enterprise for a new Send.

    v2 of explanation-rejected: sent for each rejected explanation when the submission is returned.
    """

    event_type = "org.bluemap.explanations.explanation-rejected.v2"
    topic = EXPLANATIONS_TOPIC


@register
class SubmissionSigned(IntegrationEvent):
    """The signed scan of a submission's PDF arrived: its explanations wait for a reviewer's decision."""

    event_type = "org.bluemap.explanations.submission-signed.v1"
    topic = EXPLANATIONS_TOPIC

    submission_id: UUID
    enterprise_id: UUID
    record_ids: list[UUID]
    signed_document_id: UUID
    signed_at: datetime

    def subject(self) -> str:
        return str(self.submission_id)


class ItemDecision(BaseModel):
    """What the reviewer decided about one explanation of a submission."""

    explanation_id: UUID
    record_id: UUID
    decision: Literal["approved", "rejected"]
    comment: str | None = None


@register
class SubmissionReviewed(IntegrationEvent):
    """A reviewer decided a whole submission at once: published, returned to the enterprise, or its scan refused.

    published: every explanation and the signed scan approved; the scan may go public.
    returned: some explanation rejected; nothing of it goes public, the enterprise sends again.
    scan_refused: only the signed scan was refused; the enterprise uploads another scan of the same PDF.
    """

    event_type = "org.bluemap.explanations.submission-reviewed.v1"
    topic = EXPLANATIONS_TOPIC

    submission_id: UUID
    enterprise_id: UUID
    outcome: Literal["published", "returned", "scan_refused"]
    signed_document_id: UUID | None = Field(default=None, description="None only when returned before the scan came")
    scan_decision: Literal["approved", "rejected"] | None = None
    scan_comment: str | None = None
    comment: str | None = Field(default=None, description="To the enterprise, about the whole submission")
    items: list[ItemDecision] = Field(min_length=1)
    verification_code: str | None = None
    reviewed_by: str
    reviewed_at: datetime

    def subject(self) -> str:
        return str(self.submission_id)


# ---- end of the submission workflow block


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
    category: str | None = Field(default=None, description="Supporting-document category, e.g. discharge_permit")
    record_ids: list[UUID] = Field(default_factory=list, description="Records the document supports")
    submission_id: UUID | None = None

    def subject(self) -> str:
        return str(self.document_id)


@register
class PdfRendered(IntegrationEvent):
    """The public explanation PDF of a submission was rendered and stored."""

    event_type = "org.bluemap.documents.pdf-rendered.v1"
    topic = DOCUMENTS_TOPIC

    document_id: UUID
    submission_id: UUID
    enterprise_id: UUID
    language: Literal["zh", "en"]
    document_number: str
    verification_code: str = Field(description="SHA-256 of the rendered content, hex")
    filename: str
    size: int
    sha256: str
    download_url: str = Field(description="Capability URL that downloads the PDF until download_expires_at")
    download_expires_at: datetime
    rendered_at: datetime

    def subject(self) -> str:
        return str(self.document_id)


class ScanWarning(BaseModel):
    """A soft check the signed scan failed: accepted for review, and the reviewer is told why to look closer."""

    code: Literal["page-count-mismatch", "code-missing-on-pages", "other-document-on-pages"]
    detail: str
    pages: list[int] = Field(default_factory=list, description="Pages (1-based) the warning is about")
    expected_pages: int | None = Field(default=None, description="Pages of the rendered PDF")
    scanned_pages: int | None = Field(default=None, description="Pages of the upload")


@register
class PdfSigned(IntegrationEvent):
    """The enterprise uploaded its signed or sealed scan of a submission's PDF, and it passed validation."""

    event_type = "org.bluemap.documents.pdf-signed.v1"
    topic = DOCUMENTS_TOPIC

    document_id: UUID
    submission_id: UUID
    enterprise_id: UUID
    record_ids: list[UUID]
    filename: str
    size: int
    sha256: str
    pages: int
    uploaded_by: str
    signed_at: datetime
    scan_warnings: list[ScanWarning] | None = Field(
        default=None, description="Soft checks the scan failed against the rendered PDF; none when it matched"
    )

    def subject(self) -> str:
        return str(self.document_id)


@register
class DocumentPublished(IntegrationEvent):
    """A reviewer approved a document: it is public, downloadable, next to its records."""

    event_type = "org.bluemap.documents.document-published.v1"
    topic = DOCUMENTS_TOPIC

    document_id: UUID
    enterprise_id: UUID
    kind: str
    category: str | None = None
    record_ids: list[UUID] = Field(default_factory=list)
    submission_id: UUID | None = None
    filename: str
    content_type: str
    size: int
    sha256: str
    verification_code: str | None = None
    reviewed_by: str
    comment: str | None = None
    published_at: datetime

    def subject(self) -> str:
        return str(self.document_id)


@register
class DocumentRejected(IntegrationEvent):
    """A reviewer refused a document with a comment; the enterprise may upload again."""

    event_type = "org.bluemap.documents.document-rejected.v1"
    topic = DOCUMENTS_TOPIC

    document_id: UUID
    enterprise_id: UUID
    kind: str
    category: str | None = None
    record_ids: list[UUID] = Field(default_factory=list)
    submission_id: UUID | None = None
    filename: str
    comment: str
    reviewed_by: str
    rejected_at: datetime

    def subject(self) -> str:
        return str(self.document_id)


@register
class EmailSent(IntegrationEvent):
    """An SMTP server accepted an email."""

    event_type = "org.bluemap.notifications.email-sent.v1"
    topic = NOTIFICATIONS_TOPIC

    email_id: UUID
    purpose: str
    recipients: list[EmailAddress]
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
    recipients: list[EmailAddress]
    cause_event_id: UUID
    reason: str
    outcome: Literal["rejected", "gave-up"]
    failed_at: datetime

    def subject(self) -> str:
        return str(self.email_id)


@register
class WebhookSubscriptionDisabled(IntegrationEvent):
    """A partner's webhook endpoint kept failing for the whole retry schedule and receives nothing until enabled."""

    event_type = "org.bluemap.notifications.webhook-subscription-disabled.v1"
    topic = NOTIFICATIONS_TOPIC

    subscription_id: UUID
    partner_id: UUID
    partner_name: str
    partner_email: EmailAddress
    url: str
    reason: str
    failing_since: datetime = Field(description="Creation of the delivery whose retries all failed")
    disabled_at: datetime

    def subject(self) -> str:
        return str(self.subscription_id)


# Users' lifecycle (records, the identity provider).
@register
class UserInvited(IntegrationEvent):
    """An admin invited someone; the invitee sets a password by the mailed link.

    Carries a secret: whoever holds password_token can set the user's password until expires_at, once.
    Only a hash of it is kept by records; notifications puts it in the link mailed to email.
    """

    event_type = "org.bluemap.records.user-invited.v1"
    topic = RECORDS_TOPIC

    user_id: UUID
    email: EmailAddress
    display_name: str = ""
    roles: list[str]
    password_token: str = Field(description="Single-use secret of the link: {portal}/set-password?token=...")
    expires_at: datetime
    locale: Literal["zh", "en"] = "zh"
    invited_by: str

    def subject(self) -> str:
        return str(self.user_id)


@register
class PasswordResetRequested(IntegrationEvent):
    """Someone asked to reset a user's password; the link goes to the user's address only.

    Carries a secret as UserInvited does: {portal}/reset-password?token=..., until expires_at, once.
    """

    event_type = "org.bluemap.records.password-reset-requested.v1"
    topic = RECORDS_TOPIC

    user_id: UUID
    email: EmailAddress
    display_name: str = ""
    password_token: str = Field(description="Single-use secret of the link: {portal}/reset-password?token=...")
    expires_at: datetime
    locale: Literal["zh", "en"] = "zh"

    def subject(self) -> str:
        return str(self.user_id)


@register
class SessionsRevoked(IntegrationEvent):
    """Sessions of a user ended (logout, account disabled, role or password changed): refuse their tokens."""

    event_type = "org.bluemap.records.sessions-revoked.v1"
    topic = RECORDS_TOPIC

    user_id: UUID
    session_ids: list[str] = Field(description="The `sid` claims whose tokens every service must refuse")
    reason: Literal["logout", "disabled", "role-changed", "password-changed", "password-reset"]
    revoked_at: datetime
    expires_at: datetime = Field(
        description="When the last of these tokens expires anyway; the list may drop them then"
    )

    def subject(self) -> str:
        return str(self.user_id)
