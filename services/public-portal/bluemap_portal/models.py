"""Every table of the public portal database (what its migrations manage)."""

from bluemap_portal.dashboard.models import PortalWorkingDay
from bluemap_portal.documents.models import PortalDocument, PortalRenderedPdf
from bluemap_portal.enterprises.models import PortalEnterprise
from bluemap_portal.explanations.models import PortalExplanation
from bluemap_portal.history.models import (
    HistoryHead,
    HistoryLeaf,
    HistoryNode,
    HistoryRecordLink,
    HistorySigningKey,
    HistoryTree,
)
from bluemap_portal.records.models import PortalRecord
from bluemap_shared.messaging.models import MESSAGING_TABLES
from bluemap_shared.revocation import RevokedSession
from bluemap_shared.tenants import TENANT_TABLES

TABLES = (
    PortalEnterprise.__table__,  # type: ignore[attr-defined]
    PortalRecord.__table__,  # type: ignore[attr-defined]
    PortalExplanation.__table__,  # type: ignore[attr-defined]
    PortalDocument.__table__,  # type: ignore[attr-defined]
    PortalRenderedPdf.__table__,  # type: ignore[attr-defined]
    HistoryLeaf.__table__,  # type: ignore[attr-defined]
    HistoryRecordLink.__table__,  # type: ignore[attr-defined]
    HistoryTree.__table__,  # type: ignore[attr-defined]
    HistoryNode.__table__,  # type: ignore[attr-defined]
    HistoryHead.__table__,  # type: ignore[attr-defined]
    HistorySigningKey.__table__,  # type: ignore[attr-defined]
    RevokedSession.__table__,  # type: ignore[attr-defined]
    PortalWorkingDay.__table__,  # type: ignore[attr-defined]
    *MESSAGING_TABLES,
    *TENANT_TABLES,
)
# China's working-day calendar is the country's: no tenant's rows to export or offboard.
TENANT_FREE = (PortalWorkingDay.__tablename__,)
