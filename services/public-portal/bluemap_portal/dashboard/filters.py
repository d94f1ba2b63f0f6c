"""The responsiveness filters as the page, the CSV and the API take them."""

from uuid import UUID

from bluemap_portal.dashboard.repository import Scope
from bluemap_portal.enterprises.service import region_filter
from bluemap_portal.record_types import RECORD_TYPES
from bluemap_shared.problems import InvalidInput


def scope_of(tenant_id: str, enterprise: str | None, region: str | None, record_type: str | None) -> Scope:
    """The scope the filters ask for; InvalidInput for an enterprise id, region or type that cannot be."""
    enterprise_id: UUID | None = None
    if enterprise and enterprise.strip():
        try:
            enterprise_id = UUID(enterprise.strip())
        except ValueError as exc:
            raise InvalidInput("An enterprise is named by its id (a UUID).") from exc
    code = (record_type or "").strip() or None
    if code is not None and code not in RECORD_TYPES:
        raise InvalidInput("Unknown record type.", allowed=list(RECORD_TYPES))
    return Scope(tenant_id=tenant_id, enterprise_id=enterprise_id, region=region_filter(region), record_type=code)
