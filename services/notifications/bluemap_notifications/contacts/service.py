"""Contact projection and recipient look-up; the caller's transaction commits."""

from collections.abc import Sequence
from datetime import datetime
from itertools import groupby
from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.contacts.models import EnterpriseContact
from bluemap_notifications.contacts.repository import ContactRepository
from bluemap_shared.db import standing_rows
from bluemap_shared.events.catalog import EnterpriseSnapshot
from bluemap_shared.events.seen import SnapshotSeen
from bluemap_shared.problems import NotFound


async def project_snapshot(
    session: AsyncSession, tenant_id: str, snapshot: EnterpriseSnapshot, as_of: datetime, *, status: str | None = None
) -> None:
    """Store what an event says of an enterprise, unless a later event already said more."""
    await project_snapshots(session, [SnapshotSeen(tenant_id, snapshot, as_of, status)])


async def project_snapshots(session: AsyncSession, seen: Sequence[SnapshotSeen]) -> None:
    """Store what events (in delivery order) say of enterprises, as project_snapshot one by one would.

    One statement per run of snapshots with a status (EnterpriseUpdated) or without: the others must
    not erase a status, so the two kinds cannot share an upsert's columns.
    """
    repository = ContactRepository(session)
    rows = [_contact_row(item) for item in seen]
    for _, run in groupby(rows, key=lambda row: "status" in row):
        for statement in standing_rows(list(run), key=("tenant_id", "enterprise_id"), newer="as_of"):
            await repository.upsert_many(statement)


def _contact_row(item: SnapshotSeen) -> dict[str, Any]:
    values: dict[str, Any] = {
        "tenant_id": item.tenant_id,
        "enterprise_id": item.enterprise.enterprise_id,
        "uscc": item.enterprise.uscc,
        "name": item.enterprise.name,
        "name_en": item.enterprise.name_en,
        "registered_emails": unique_addresses(item.enterprise.registered_emails),
        "as_of": item.as_of,
    }
    if item.status is not None:
        # Only EnterpriseUpdated knows the status; record snapshots must not erase it.
        values["status"] = item.status
    return values


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
