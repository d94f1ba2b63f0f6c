"""Every table of the explanations database (what its migrations manage)."""

from bluemap_explanations.explanations.models import Explanation
from bluemap_explanations.records.models import ExplainableRecord
from bluemap_shared.messaging.models import MESSAGING_TABLES

TABLES = (
    ExplainableRecord.__table__,  # type: ignore[attr-defined]
    Explanation.__table__,  # type: ignore[attr-defined]
    *MESSAGING_TABLES,
)
