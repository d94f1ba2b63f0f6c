"""Public enterprise shapes."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from bluemap_portal.categories.schemas import FeedbackItem
from bluemap_portal.documents.schemas import DocumentPublic
from bluemap_portal.records.schemas import RecordGroup


class EnterpriseSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    uscc: str
    name: str
    name_en: str | None
    region_code: str | None
    updated_at: datetime


class EnterpriseDetail(EnterpriseSummary):
    """An enterprise with its public records grouped by type, its documents and its Enterprise Feedback."""

    record_groups: list[RecordGroup]
    documents: list[DocumentPublic] = []
    feedback: list[FeedbackItem] = []
