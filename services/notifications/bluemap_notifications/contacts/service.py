"""Contact projection and recipient look-up; the caller's transaction commits."""

from datetime import datetime
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.contacts.models import EnterpriseContact
from bluemap_notifications.contacts.repository import ContactRepository
from bluemap_shared.events.catalog import EnterpriseSnapshot
from bluemap_shared.problems import NotFound


async def project_snapshot(
    session: AsyncSession, tenant_id: str, snapshot: EnterpriseSnapshot, as_of: datetime, *, status: str | None = None
) -> None:
    """Store what an event says of an enterprise, unless a later event already said more."""
    values = {
        "tenant_id": tenant_id,
        "enterprise_id": snapshot.enterprise_id,
        "uscc": snapshot.uscc,
        "name": snapshot.name,
        "name_en": snapshot.name_en,
        "registered_emails": unique_addresses(snapshot.registered_emails),
        "as_of": as_of,
    }
    if status is not None:
        # Only EnterpriseUpdated knows the status; record snapshots must not erase it.
        values["status"] = status
    await ContactRepository(session).upsert(values)


async def get_contact(session: AsyncSession, tenant_id: str, enterprise_id: UUID) -> EnterpriseContact | None:
    return await ContactRepository(session).get(tenant_id, enterprise_id)


async def require_enterprise(session: AsyncSession, tenant_id: str, enterprise_id: UUID) -> EnterpriseContact:
    """The tenant's enterprise of that id (as its events told it); 404 for an unknown id or another tenant's."""
    contact = await get_contact(session, tenant_id, enterprise_id)
    if contact is None:
        raise NotFound("No such enterprise.", field="enterprise_id")
    return contact


def unique_addresses(addresses: list[str]) -> list[str]:
    """The addresses in order, each once: the same address listed twice must not receive two copies."""
    return list(dict.fromkeys(str(address) for address in addresses))
