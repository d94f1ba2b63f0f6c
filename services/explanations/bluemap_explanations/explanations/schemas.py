"""Explanation API shapes."""

import re
from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

MAX_TEXT_LENGTH = 5_000
# Tab, newline and carriage return are text; other C0 controls (and NUL, which PostgreSQL text refuses) are not.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(value: str) -> str:
    """Trim, then bound: the limit is on what gets stored and shown."""
    # Browsers submit textareas with CRLF; counting those twice would shrink the 5,000 allowed.
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(value) > MAX_TEXT_LENGTH:
        raise ValueError(f"at most {MAX_TEXT_LENGTH} characters after trimming, got {len(value)}")
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("control characters are not allowed")
    return value


DraftText = Annotated[str, AfterValidator(_clean), WithJsonSchema({"type": "string", "maxLength": MAX_TEXT_LENGTH})]


class ExplanationDraft(BaseModel):
    """The three answers of the workspace form; each may stay empty while a draft."""

    violation: DraftText = Field(description="Describe the violation")
    reasons: DraftText = Field(description="Explain the reasons for the violation")
    corrective_actions: DraftText = Field(description="Explain the follow-up corrective actions")


class ExplanationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tenant_id: str
    record_id: UUID
    enterprise_id: UUID
    violation: str
    reasons: str
    corrective_actions: str
    status: str
    version: int
    saved_by: str
    saved_at: datetime
    created_at: datetime
