"""Public explanation shapes."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class MonitoringPublic(BaseModel):
    """What an explanation of an automated-monitoring exceedance states."""

    pollutant: str
    measured_value: str
    limit_value: str
    unit: str | None = None
    period_start: datetime
    period_end: datetime


class ExplanationPublic(BaseModel):
    """An enterprise's public explanation of one record."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    record_id: UUID
    submission_id: UUID
    violation: str
    reasons: str
    corrective_actions: str
    monitoring: MonitoringPublic | None
    published_at: datetime
