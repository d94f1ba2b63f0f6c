"""The enterprise an enterprise user acts for."""

from uuid import UUID

from bluemap_shared.auth import Principal
from bluemap_shared.problems import Forbidden


def own_enterprise(principal: Principal) -> UUID:
    """The caller's enterprise; a token of enterprise staff without one is refused."""
    if principal.enterprise_id is None:
        raise Forbidden("The token names no enterprise to act for.")
    return principal.enterprise_id
