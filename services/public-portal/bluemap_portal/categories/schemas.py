"""Category and Enterprise Feedback shapes."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from bluemap_portal.documents.schemas import DocumentPublic
from bluemap_portal.explanations.schemas import ExplanationPublic
from bluemap_portal.records.schemas import RecordPublic


class CategoryPublic(BaseModel):
    """A category of the portal: a record type, or enterprise_feedback."""

    code: str
    label_zh: str
    label_en: str


class RecordSummary(BaseModel):
    """The record an explanation is about, as a feedback item names it."""

    id: UUID
    record_type: str
    year: int
    source_title: str
    issuing_authority: str


class FeedbackItem(BaseModel):
    """Something an enterprise published: an explanation of a record, or a document."""

    kind: Literal["explanation", "document"]
    id: UUID
    enterprise_id: UUID
    enterprise_name: str | None
    enterprise_name_en: str | None
    published_at: datetime
    record: RecordSummary | None = None
    explanation: ExplanationPublic | None = None
    document: DocumentPublic | None = None


class CategoryRecord(RecordPublic):
    """A record on a category page, with its enterprise's names."""

    enterprise_name: str | None
    enterprise_name_en: str | None


class CategoryPage(BaseModel):
    """One page of a category: records of a type, or Enterprise Feedback items; newest first."""

    code: str
    label_zh: str
    label_en: str
    page: int
    page_size: int
    total: int = Field(description="Items in the category that match the filters, on every page")
    has_next: bool
    records: list[CategoryRecord] = []
    feedback: list[FeedbackItem] = []


class DisclosedDocument(BaseModel):
    """A published document in the list of disclosed documents: its enterprise and the records it is about."""

    document: DocumentPublic
    enterprise_id: UUID
    enterprise_name: str | None
    enterprise_name_en: str | None
    records: list[RecordSummary] = []


class DocumentListing(BaseModel):
    """One page of the published documents of every enterprise, newest first."""

    page: int
    page_size: int
    total: int
    documents: list[DisclosedDocument]
