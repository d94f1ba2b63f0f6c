"""Who may read an enterprise's documents: its own staff, and the operators of its tenant."""

from uuid import UUID

from bluemap_shared.auth import ENTERPRISE, Principal


def may_read(principal: Principal, enterprise_id: UUID | None) -> bool:
    """The caller is an operator (queries are tenant-scoped) or staff of that enterprise."""
    if principal.is_operator:
        return True
    return ENTERPRISE in principal.roles and enterprise_id is not None and principal.enterprise_id == enterprise_id


def listing_scope(principal: Principal, enterprise_id: UUID | None) -> tuple[bool, UUID | None]:
    """(allowed, enterprise filter) of a list request; enterprise staff only ever see their own."""
    if principal.is_operator:
        return True, enterprise_id
    if ENTERPRISE not in principal.roles or principal.enterprise_id is None:
        return False, None
    if enterprise_id not in (None, principal.enterprise_id):
        return False, None
    return True, principal.enterprise_id
