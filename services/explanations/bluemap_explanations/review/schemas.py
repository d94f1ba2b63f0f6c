"""Review API shapes."""

from typing import Annotated, Self
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field, model_validator

from bluemap_explanations.explanations.schemas import clean_text
from bluemap_explanations.submissions.rules import Verdict


def _required(value: str) -> str:
    value = clean_text(value)
    if not value:
        raise ValueError("a rejection says why")
    return value


def _optional(value: str | None) -> str | None:
    return (clean_text(value) or None) if value is not None else None


OptionalComment = Annotated[str | None, AfterValidator(_optional)]


class ItemVerdict(BaseModel):
    """The decision on one explanation of the submission."""

    explanation_id: UUID
    decision: Verdict
    comment: OptionalComment = Field(default=None, description="Shown to the enterprise; required to reject")

    @model_validator(mode="after")
    def _rejection_says_why(self) -> Self:
        if self.decision is Verdict.REJECTED and not self.comment:
            raise ValueError("a rejection says why: comment is required")
        return self


class ScanVerdict(BaseModel):
    """The decision on the signed scan in force, named so that a newer upload is not decided unseen."""

    document_id: UUID
    decision: Verdict
    comment: OptionalComment = Field(default=None, description="Shown to the enterprise; required to reject")

    @model_validator(mode="after")
    def _rejection_says_why(self) -> Self:
        if self.decision is Verdict.REJECTED and not self.comment:
            raise ValueError("a rejection says why: comment is required")
        return self


class SubmissionReview(BaseModel):
    """One review of a whole submission: every explanation it holds, and its signed scan, decided together."""

    explanations: list[ItemVerdict] = Field(min_length=1, max_length=1000)
    scan: ScanVerdict | None = Field(
        default=None, description="Required once the signed scan arrived; absent only to return a submission before"
    )
    comment: OptionalComment = Field(default=None, description="To the enterprise, about the whole submission")
