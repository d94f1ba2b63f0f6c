"""Guidance API shapes."""

from pydantic import BaseModel, Field


class FieldExamples(BaseModel):
    violation: str = Field(description="Example for 'Explain the violation(s)'")
    reasons: str = Field(description="Example for 'Reason for violation(s)'")
    corrective_actions: str = Field(description="Example for 'Corrective action(s)'")


class GuidancePublic(BaseModel):
    record_type: str
    label: str
    language: str
    examples: FieldExamples
    monitoring: dict[str, str] | None = Field(
        description="Automated-monitoring records: example pollutant, values, unit and period"
    )
