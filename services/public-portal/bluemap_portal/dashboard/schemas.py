"""API shapes of the responsiveness statistics."""

from datetime import date
from uuid import UUID

from pydantic import BaseModel, Field


class GroupStatistics(BaseModel):
    """How one group of records was answered; days are working days on China's calendar."""

    key: str | None = Field(description="Record type code, province code (2 digits) or month (YYYY-MM); null: all")
    records: int = Field(description="Public records")
    explained: int = Field(description="Records with a published explanation")
    explained_share: float | None = Field(description="explained / records; null without records")
    median_days: int | None = Field(description="Median working days from publication to the first explanation")
    p90_days: int | None = Field(description="90th percentile (nearest rank) of the same")
    overdue: int = Field(description="Records explained after their due date, or past it without an explanation")
    overdue_share: float | None = Field(description="overdue / records")
    median_review_days: int | None = Field(
        description="The operator's median review time: working days from sending the explanation to its publication"
    )


class Responsiveness(BaseModel):
    """A scope's figures and its breakdowns by record type, province and month of publication."""

    today: date = Field(description="The day in China the figures were counted on (overdue depends on it)")
    enterprise_id: UUID | None = None
    region: str | None = None
    record_type: str | None = None
    overall: GroupStatistics
    by_record_type: list[GroupStatistics]
    by_region: list[GroupStatistics]
    by_month: list[GroupStatistics]
