"""Enterprise directory use cases; the caller's transaction commits them."""

from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.enterprises.models import Enterprise
from bluemap_records.enterprises.repository import EnterpriseRepository
from bluemap_records.enterprises.schemas import EnterpriseCreate, EnterpriseUpdate
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import EnterpriseRegistered, EnterpriseSnapshot, EnterpriseUpdated
from bluemap_shared.messaging import emit
from bluemap_shared.problems import Conflict, NotFound


def snapshot(enterprise: Any) -> EnterpriseSnapshot:
    """The enterprise (a model or a row with its columns) as other services see it in events."""
    return EnterpriseSnapshot(
        enterprise_id=enterprise.id,
        uscc=enterprise.uscc,
        name=enterprise.name,
        name_en=enterprise.name_en,
        region_code=enterprise.region_code,
        registered_emails=list(enterprise.registered_emails),
    )


async def register_enterprise(session: AsyncSession, tenant_id: str, data: EnterpriseCreate) -> Enterprise:
    """Add an enterprise to the directory and announce it."""
    repository = EnterpriseRepository(session)
    if await repository.get_by_uscc(tenant_id, data.uscc) is not None:
        raise Conflict(f"An enterprise with USCC {data.uscc} already exists.", uscc=data.uscc)
    enterprise = Enterprise(
        tenant_id=tenant_id,
        uscc=data.uscc,
        name=data.name,
        name_en=data.name_en,
        region_code=data.region_code,
        industry=data.industry,
        registered_emails=[str(e) for e in data.registered_emails],
    )
    repository.add(enterprise)
    await session.flush()
    emit(
        session,
        EnterpriseRegistered(enterprise=snapshot(enterprise), industry=enterprise.industry),
        tenant_id=tenant_id,
    )
    return enterprise


async def update_enterprise(
    session: AsyncSession, tenant_id: str, enterprise_id: UUID, data: EnterpriseUpdate
) -> Enterprise:
    """Change the fields sent; EnterpriseUpdated only when something really changed."""
    enterprise = await get_enterprise(session, tenant_id, enterprise_id)
    changes = data.model_dump(exclude_unset=True)
    if "registered_emails" in changes:
        changes["registered_emails"] = list(dict.fromkeys(str(e) for e in data.registered_emails or []))
    changed = {k: v for k, v in changes.items() if getattr(enterprise, k) != v}
    if not changed:
        return enterprise
    for key, value in changed.items():
        setattr(enterprise, key, value)
    enterprise.updated_at = utcnow()
    await session.flush()
    emit(session, updated_event(enterprise), tenant_id=tenant_id)
    return enterprise


def updated_event(enterprise: Any) -> EnterpriseUpdated:
    return EnterpriseUpdated(enterprise=snapshot(enterprise), industry=enterprise.industry, status=enterprise.status)


async def get_enterprise(session: AsyncSession, tenant_id: str, enterprise_id: UUID) -> Enterprise:
    enterprise = await EnterpriseRepository(session).get(tenant_id, enterprise_id)
    if enterprise is None:
        raise NotFound("No such enterprise.")
    return enterprise
