"""Enterprise projection and the public enterprise queries; the caller's transaction commits."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.enterprises.models import PortalEnterprise
from bluemap_portal.enterprises.repository import EnterpriseRepository
from bluemap_portal.enterprises.schemas import EnterpriseDetail, EnterpriseSummary
from bluemap_portal.records.service import group_by_type, records_of
from bluemap_shared.events.catalog import EnterpriseSnapshot
from bluemap_shared.problems import NotFound


async def project_snapshot(
    session: AsyncSession, tenant_id: str, snapshot: EnterpriseSnapshot, as_of: datetime
) -> None:
    """Store what an event says of an enterprise, unless a later event already said more."""
    await EnterpriseRepository(session).upsert(
        {
            "id": snapshot.enterprise_id,
            "tenant_id": tenant_id,
            "uscc": snapshot.uscc,
            "name": snapshot.name,
            "name_en": snapshot.name_en,
            "region_code": snapshot.region_code,
            "updated_at": as_of,
        }
    )


async def search_enterprises(
    session: AsyncSession, tenant_id: str, *, q: str | None, limit: int
) -> Sequence[PortalEnterprise]:
    text = q.strip() if q else None
    return await EnterpriseRepository(session).search(tenant_id, text=text or None, limit=limit)


async def get_enterprise(session: AsyncSession, tenant_id: str, enterprise_id: UUID) -> PortalEnterprise:
    enterprise = await EnterpriseRepository(session).get(tenant_id, enterprise_id)
    if enterprise is None:
        raise NotFound("No such enterprise.")
    return enterprise


async def enterprise_detail(session: AsyncSession, tenant_id: str, enterprise_id: UUID) -> EnterpriseDetail:
    """The enterprise page: the enterprise and its records grouped by type."""
    enterprise = await get_enterprise(session, tenant_id, enterprise_id)
    records = await records_of(session, tenant_id, enterprise_id)
    return EnterpriseDetail(
        **EnterpriseSummary.model_validate(enterprise).model_dump(), record_groups=group_by_type(records)
    )
