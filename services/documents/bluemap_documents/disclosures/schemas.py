"""The enterprise's List of disclosed documents."""

from datetime import date
from uuid import UUID

from pydantic import BaseModel


class DisclosureRow(BaseModel):
    """No., Date, Stakeholder(s), Source, Document Type, File, Status, Comments."""

    no: int
    document_id: UUID
    date: date
    stakeholders: list[str]
    sources: list[str]
    document_type: str
    document_type_label_zh: str
    document_type_label_en: str
    category: str | None
    submission_id: UUID | None
    filename: str
    file_url: str
    public_url: str | None
    status: str
    comments: str | None
