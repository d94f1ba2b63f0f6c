"""Commitment API shapes."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bluemap_explanations.commitments.texts import Language
from bluemap_explanations.explanations.schemas import clean_text


def _required_text(value: str) -> str:
    value = clean_text(value)
    if not value:
        raise ValueError("must not be empty")
    return value


CommitmentWording = Annotated[str, AfterValidator(_required_text)]


class CommitmentResponsePublic(BaseModel):
    """An Accept or Decline, as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    enterprise_id: UUID
    kind: str
    version: int
    language: str
    text_sha256: str
    answer: str = Field(description="accepted or declined")
    responded_by: str
    responded_at: datetime
    client_ip: str | None


class CommitmentPublic(BaseModel):
    """The current text of a commitment in one language."""

    kind: str
    version: int
    language: str
    text: str
    text_sha256: str
    published_at: datetime
    response: CommitmentResponsePublic | None = Field(
        description="The caller's enterprise's latest answer to this version (enterprise staff only)"
    )


class CommitmentVersionCreate(BaseModel):
    """A new version of a commitment, in every language at once so versions mean the same everywhere."""

    zh: CommitmentWording
    en: CommitmentWording


class CommitmentTextPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    version: int
    language: str
    text: str
    text_sha256: str
    published_by: str
    published_at: datetime


class CommitmentAnswer(BaseModel):
    """Which text the user answered: the version and language the workspace showed."""

    version: int = Field(ge=1)
    language: Language = "zh"
