"""China's working-day calendar as a table, so statistics count working days set-based."""

from datetime import date

from sqlmodel import Field, SQLModel


class PortalWorkingDay(SQLModel, table=True):
    """One calendar day and the working days from the calendar's first day up to it.

    The calendar is the country's, not a tenant's: the one table of the portal without tenant_id.
    """

    __tablename__ = "portal_working_days"

    day: date = Field(primary_key=True)
    ordinal: int
