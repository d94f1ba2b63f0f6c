"""Import API shapes."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field


class RowError(BaseModel):
    """Why a row was rejected; column is null when the row as a whole is at fault."""

    line: int = Field(description="Line of the file where the row starts (the header is line 1)")
    column: str | None
    reason: str


class ImportSummary(BaseModel):
    """An import's counts, or its progress while it runs."""

    id: UUID
    status: str = Field(description="running, completed, failed or interrupted")
    filename: str | None
    format: str
    encoding: str
    size_bytes: int
    rows: int = Field(description="Rows read so far (blank rows are not rows)")
    created: int
    updated: int
    unchanged: int
    rejected: int
    ignored_columns: list[str] = Field(description="Columns the format does not know, ignored")
    failure: str | None = Field(default=None, description="Why a failed import stopped")
    started_at: datetime
    finished_at: datetime | None
    url: str = Field(description="This import; poll it while it runs")
    errors_csv_url: str = Field(description="The rejected rows as CSV, with line, column and reason")


class ImportResult(ImportSummary):
    """An import's outcome with the problems of its rejected rows."""

    errors: list[RowError] = Field(description="The rejected rows' problems in file order (the first 1,000)")
    errors_truncated: bool = Field(description="More problems than listed: errors.csv has every one")
