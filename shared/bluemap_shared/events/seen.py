"""What one event told of an enterprise, and when: the unit of every service's enterprise projection."""

from datetime import datetime
from typing import Any, NamedTuple

from bluemap_shared.events.catalog import EnterpriseSnapshot
from bluemap_shared.events.envelope import Envelope


class SnapshotSeen(NamedTuple):
    """An enterprise snapshot with its tenant and the time of the event that carried it."""

    tenant_id: str
    enterprise: EnterpriseSnapshot
    as_of: datetime
    status: str | None = None  # the directory status, which only EnterpriseUpdated tells

    @classmethod
    def of(cls, envelope: Envelope[Any]) -> "SnapshotSeen":
        """The snapshot an event carries in its enterprise field."""
        return cls(envelope.tenant_id, envelope.data.enterprise, envelope.time)
