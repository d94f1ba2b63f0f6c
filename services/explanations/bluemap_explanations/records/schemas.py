"""Read-model API shapes."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from bluemap_explanations.explanations.rules import WorkspaceStatus


class ExplainableRecordPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    record_id: UUID
    tenant_id: str
    enterprise_id: UUID
    enterprise_name: str
    record_type: str
    explainable: bool
    year: int
    source_title: str
    issuing_authority: str
    issued_on: date
    explanation_due_on: date | None
    published_at: datetime
    saved: bool = Field(description="A draft explanation exists: the workspace shows it as (Saved)")
    explanation_id: UUID | None
    status: WorkspaceStatus = Field(
        description="draft (nothing saved yet), saved, submitted, under_review, published, "
        "rejected (sent back, editable again)"
    )
    review_comment: str | None = Field(description="The reviewer's comment of the last decision")
    reviewed_at: datetime | None
    record_status: str | None = Field(
        default=None, description="The record's lifecycle status once it moved (resolved, restored, ...)"
    )
    status_reason: str | None = Field(default=None, description="Why it last moved (the operator's audit reason)")
    status_changed_at: datetime | None = None
