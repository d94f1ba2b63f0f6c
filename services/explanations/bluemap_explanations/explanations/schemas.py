"""Explanation API shapes."""

import re
from datetime import datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

MAX_TEXT_LENGTH = 5_000
MAX_SHORT_TEXT_LENGTH = 200
# Tab, newline and carriage return are text; other C0 controls (and NUL, which PostgreSQL text refuses) are not.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str, limit: int = MAX_TEXT_LENGTH) -> str:
    """Trim, then bound: the limit is on what gets stored and shown."""
    # Browsers submit textareas with CRLF; counting those twice would shrink the 5,000 allowed.
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(value) > limit:
        raise ValueError(f"at most {limit} characters after trimming, got {len(value)}")
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("control characters are not allowed")
    return value


def _clean_short(value: str) -> str:
    value = clean_text(value, MAX_SHORT_TEXT_LENGTH)
    if "\n" in value:
        raise ValueError("a single line is expected")
    return value


DraftText = Annotated[str, AfterValidator(clean_text), WithJsonSchema({"type": "string", "maxLength": MAX_TEXT_LENGTH})]
ShortText = Annotated[
    str, AfterValidator(_clean_short), WithJsonSchema({"type": "string", "maxLength": MAX_SHORT_TEXT_LENGTH})
]


class MonitoringDraft(BaseModel):
    """The exceedance an automated-monitoring record reports, as stated; may be partial while a draft."""

    pollutant: ShortText = Field(default="", description="e.g. 化学需氧量 (COD), NOx, SO2")
    measured_value: ShortText = Field(default="", description="The value measured, as the monitoring data shows it")
    limit_value: ShortText = Field(default="", description="The emission limit that applied")
    unit: ShortText | None = Field(default=None, description="e.g. mg/L, mg/m³")
    period_start: AwareDatetime | None = None
    period_end: AwareDatetime | None = None

    @model_validator(mode="after")
    def _period_in_order(self) -> Self:
        if self.period_start is not None and self.period_end is not None and self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class ExplanationDraft(BaseModel):
    """The three answers of the workspace form; each may stay empty while a draft."""

    violation: DraftText = Field(description="Describe the violation")
    reasons: DraftText = Field(description="Explain the reasons for the violation")
    corrective_actions: DraftText = Field(description="Explain the follow-up corrective actions")
    monitoring: MonitoringDraft | None = Field(
        default=None, description="Automated-monitoring records only: the exceedance explained"
    )
    document_id: UUID | None = Field(
        default=None, description="A PDF uploaded to the documents service that goes with the explanation"
    )


class MonitoringPublic(BaseModel):
    pollutant: str
    measured_value: str
    limit_value: str
    unit: str | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None


class ExplanationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tenant_id: str
    record_id: UUID
    enterprise_id: UUID
    violation: str
    reasons: str
    corrective_actions: str
    monitoring: MonitoringPublic | None
    document_id: UUID | None
    status: str = Field(description="draft, submitted, under_review or published")
    submission_id: UUID | None = Field(description="The submission that last sent it")
    version: int
    saved_by: str
    saved_at: datetime
    published_at: datetime | None
    created_at: datetime
