"""Enterprise directory use cases; the caller's transaction commits them."""

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.enterprises.models import Enterprise
from bluemap_records.enterprises.repository import EnterpriseRepository
from bluemap_records.enterprises.schemas import EnterpriseCreate
from bluemap_shared.events.catalog import EnterpriseRegistered, EnterpriseSnapshot
from bluemap_shared.messaging import emit
from bluemap_shared.problems import Conflict, NotFound


def snapshot(enterprise: Enterprise) -> EnterpriseSnapshot:
    """The enterprise as other services see it in events."""
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


async def get_enterprise(session: AsyncSession, tenant_id: str, enterprise_id: UUID) -> Enterprise:
    enterprise = await EnterpriseRepository(session).get(tenant_id, enterprise_id)
    if enterprise is None:
        raise NotFound("No such enterprise.")
    return enterprise
