"""Review API shapes."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from bluemap_explanations.explanations.schemas import ExplanationPublic, clean_text
from bluemap_explanations.submissions.schemas import DecisionPublic


def _required(value: str) -> str:
    value = clean_text(value)
    if not value:
        raise ValueError("a rejection says why")
    return value


def _optional(value: str | None) -> str | None:
    return (clean_text(value) or None) if value is not None else None


class Approval(BaseModel):
    comment: Annotated[str | None, AfterValidator(_optional)] = Field(
        default=None, description="Shown to the enterprise"
    )


class Rejection(BaseModel):
    comment: Annotated[str, AfterValidator(_required)] = Field(description="What the enterprise must change")


class DecisionOutcome(BaseModel):
    decision: DecisionPublic
    explanation: ExplanationPublic
