"""Submission API shapes."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from bluemap_explanations.commitments.schemas import CommitmentAnswer, CommitmentResponsePublic
from bluemap_explanations.commitments.texts import Language
from bluemap_shared.events.catalog import EnterpriseSnapshot, SubmittedExplanation

MAX_RECORDS_PER_SUBMISSION = 200


class SubmissionCreate(BaseModel):
    """Send Public Explanation: every selected record of the enterprise, with its saved draft."""

    record_ids: list[UUID] = Field(min_length=1, max_length=MAX_RECORDS_PER_SUBMISSION)
    language: Language | None = Field(
        default=None, description="Language of the PDF; by default the one the deadline commitment was accepted in"
    )
    deadline_commitment: CommitmentAnswer | None = Field(
        default=None,
        description="Accept the deadline commitment with this Send (it is accepted at each Send); without it, "
        "an acceptance no earlier submission used must exist",
    )


class RenderedPdf(BaseModel):
    document_id: UUID
    document_number: str | None
    verification_code: str | None
    rendered_at: datetime | None


class SignedScan(BaseModel):
    document_id: UUID
    filename: str | None
    pages: int | None
    uploaded_by: str | None
    signed_at: datetime | None


class SubmissionDocuments(BaseModel):
    """The documents service's files of this submission, for a console to show side by side."""

    rendered: RenderedPdf | None = Field(description="The public explanation PDF sent to the registered email")
    signed: SignedScan | None = Field(description="The enterprise's signed or sealed scan of it")


class AcceptancePublic(CommitmentResponsePublic):
    text: str | None = Field(description="The exact text accepted")


class DecisionPublic(BaseModel):
    id: UUID
    decision: str = Field(description="approved or rejected")
    comment: str | None
    explanation_version: int
    reviewed_by: str
    reviewed_at: datetime


class SubmissionItemPublic(BaseModel):
    explanation_id: UUID
    record_id: UUID
    position: int
    explanation_version: int
    sent: SubmittedExplanation = Field(description="The record and its explanation exactly as sent")
    document_id: UUID | None = Field(description="A PDF the draft referred to (documents service)")
    outcome: str = Field(
        description="pending, published, rejected or returned (approved, but its submission went back)"
    )
    decided_at: datetime | None
    explanation_status: str | None = Field(description="Where the explanation stands now")
    decisions: list[DecisionPublic]


class SubmissionPublic(BaseModel):
    id: UUID
    tenant_id: str
    enterprise_id: UUID
    enterprise: EnterpriseSnapshot
    status: str = Field(description="sent, pdf_rendered, signed, under_review, published or returned")
    language: str
    submitted_by: str
    submitted_at: datetime
    reviewed_at: datetime | None
    reviewed_by: str | None = None
    scan_decision: str | None = Field(default=None, description="approved or rejected: the reviewer on the signed scan")
    scan_comment: str | None = None
    review_comment: str | None = Field(default=None, description="To the enterprise, about the whole submission")
    updated_at: datetime
    documents: SubmissionDocuments
    commitments: list[AcceptancePublic]
    items: list[SubmissionItemPublic]
