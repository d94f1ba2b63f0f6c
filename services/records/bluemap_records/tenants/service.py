"""Tenant registry use cases: create (with its first admin), edit, suspend, resume; each announces the change."""

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.identity.models import User
from bluemap_records.identity.passwords import PasswordHashing
from bluemap_records.identity.schemas import UserCreate
from bluemap_records.identity.service import create_user
from bluemap_records.tenants.models import Tenant
from bluemap_records.tenants.repository import TenantRepository
from bluemap_records.tenants.schemas import TenantCreate, TenantSettingsIn, TenantUpdate
from bluemap_shared.db import SessionMaker, on_commit, utcnow
from bluemap_shared.events.catalog import TenantConfigured, TenantProfile, TenantSuspended
from bluemap_shared.messaging import emit
from bluemap_shared.problems import Conflict, InvalidInput, NotFound
from bluemap_shared.tenants import TenantDirectory, TenantLoader, TenantSuspendedProblem

log = structlog.get_logger()


class UnknownTenant(NotFound):
    type = "unknown-tenant"
    title = "Unknown tenant"


def profile(tenant: Tenant) -> TenantProfile:
    """The tenant as every service reads it (the payload of TenantConfigured)."""
    return TenantProfile(
        tenant_id=tenant.id,
        name_zh=tenant.name_zh,
        name_en=tenant.name_en,
        hostnames=list(tenant.hostnames),
        default_language=tenant.default_language,  # type: ignore[arg-type]
        mail_sender_name=tenant.mail_sender_name,
        mail_sender_address=tenant.mail_sender_address,
        staff_email=tenant.staff_email,
        logo_url=tenant.logo_url,
        brand_colour=tenant.brand_colour,
        status=tenant.status,  # type: ignore[arg-type]
        version=tenant.version,
    )


async def get_tenant(session: AsyncSession, tenant_id: str, *, for_update: bool = False) -> Tenant:
    tenant = await TenantRepository(session).get(tenant_id, for_update=for_update)
    if tenant is None:
        raise UnknownTenant(f"No tenant {tenant_id}.", tenant_id=tenant_id)
    return tenant


async def require_active(session: AsyncSession, tenant_id: str) -> Tenant:
    """The tenant, which must exist (404) and not be suspended (503)."""
    tenant = await get_tenant(session, tenant_id)
    if tenant.status == "suspended":
        raise TenantSuspendedProblem(f"The tenant {tenant_id} is suspended.", tenant_id=tenant_id)
    return tenant


async def _refuse_claimed_hosts(session: AsyncSession, tenant_id: str, hostnames: list[str]) -> None:
    claimed = {
        host: other.id
        for other in await TenantRepository(session).all()
        if other.id != tenant_id
        for host in other.hostnames
    }
    taken = sorted(host for host in hostnames if host in claimed)
    if taken:
        raise Conflict(f"Another tenant answers for {', '.join(taken)}.", hostnames=taken)


def _announce(session: AsyncSession, tenant: Tenant, directory: TenantDirectory | None) -> None:
    emit(session, TenantConfigured(tenant=profile(tenant), configured_at=tenant.updated_at), tenant_id=tenant.id)
    if directory is not None:
        on_commit(session, directory.invalidate)


async def create_tenant(
    session: AsyncSession, passwords: PasswordHashing, data: TenantCreate, directory: TenantDirectory | None = None
) -> tuple[Tenant, User]:
    """A new tenant and its first admin (TenantConfigured); 409 when the id or a hostname is taken."""
    tenant = await register_tenant(session, data, directory)
    admin = await create_user(
        session,
        passwords,
        tenant.id,
        UserCreate(
            email=data.first_admin.email,
            password=data.first_admin.password,
            display_name=data.first_admin.display_name,
            roles=["admin"],
            locale=data.first_admin.locale,
        ),
    )
    return tenant, admin


async def register_tenant(
    session: AsyncSession, data: TenantSettingsIn, directory: TenantDirectory | None = None
) -> Tenant:
    """Enter a tenant in the registry (TenantConfigured), users aside: create_tenant's first step, and the way to
    register a tenant whose users exist from before the registry did (the embedded default's older data)."""
    repository = TenantRepository(session)
    if await repository.get(data.id) is not None:
        raise Conflict(f"A tenant {data.id} already exists.", tenant_id=data.id)
    await _refuse_claimed_hosts(session, data.id, data.hostnames)
    tenant = Tenant(
        id=data.id,
        name_zh=data.name_zh,
        name_en=data.name_en,
        hostnames=data.hostnames,
        default_language=data.default_language,
        mail_sender_name=data.mail_sender_name,
        mail_sender_address=str(data.mail_sender_address).lower(),
        staff_email=str(data.staff_email).lower() if data.staff_email else None,
        logo_url=data.logo_url,
        brand_colour=data.brand_colour.lower(),
    )
    repository.add(tenant)
    await session.flush()
    _announce(session, tenant, directory)
    log.info("tenants.created", tenant_id=tenant.id, hostnames=tenant.hostnames)
    return tenant


async def update_tenant(
    session: AsyncSession,
    tenant_id: str,
    data: TenantUpdate,
    *,
    may_change_hostnames: bool,
    directory: TenantDirectory | None = None,
) -> Tenant:
    """Change the given fields (TenantConfigured); only the platform operator changes hostnames."""
    tenant = await get_tenant(session, tenant_id, for_update=True)
    changes = data.model_dump(exclude_unset=True)
    if "hostnames" in changes:
        if not may_change_hostnames:
            raise InvalidInput("Only the platform operator changes a tenant's hostnames.")
        if changes["hostnames"] is None:
            raise InvalidInput("hostnames cannot be null; send [] to answer on no host.")
        await _refuse_claimed_hosts(session, tenant_id, changes["hostnames"])
    for required in ("name_zh", "name_en", "default_language", "mail_sender_name", "mail_sender_address"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required} cannot be null.")
    for field, value in changes.items():
        if field in ("mail_sender_address", "staff_email") and value is not None:
            value = str(value).lower()
        if field == "brand_colour" and value is not None:
            value = value.lower()
        setattr(tenant, field, value)
    if not changes:
        return tenant
    tenant.version += 1
    tenant.updated_at = utcnow()
    session.add(tenant)
    await session.flush()
    _announce(session, tenant, directory)
    log.info("tenants.edited", tenant_id=tenant.id, fields=sorted(changes), version=tenant.version)
    return tenant


async def suspend_tenant(
    session: AsyncSession, tenant_id: str, reason: str, directory: TenantDirectory | None = None
) -> Tenant:
    """Suspend the tenant (TenantSuspended): its site and API answer 503; a suspended one stays as it is."""
    tenant = await get_tenant(session, tenant_id, for_update=True)
    if tenant.status == "suspended":
        return tenant
    tenant.status = "suspended"
    tenant.suspended_reason = reason or None
    tenant.version += 1
    tenant.updated_at = utcnow()
    session.add(tenant)
    await session.flush()
    emit(
        session,
        TenantSuspended(tenant_id=tenant.id, version=tenant.version, reason=reason, suspended_at=tenant.updated_at),
        tenant_id=tenant.id,
    )
    if directory is not None:
        on_commit(session, directory.invalidate)
    log.info("tenants.suspended", tenant_id=tenant.id, version=tenant.version)
    return tenant


async def resume_tenant(session: AsyncSession, tenant_id: str, directory: TenantDirectory | None = None) -> Tenant:
    """Make a suspended tenant active again (TenantConfigured with its whole state)."""
    tenant = await get_tenant(session, tenant_id, for_update=True)
    if tenant.status == "active":
        return tenant
    tenant.status = "active"
    tenant.suspended_reason = None
    tenant.version += 1
    tenant.updated_at = utcnow()
    session.add(tenant)
    await session.flush()
    _announce(session, tenant, directory)
    log.info("tenants.resumed", tenant_id=tenant.id, version=tenant.version)
    return tenant


def registry_loader(sessionmaker: SessionMaker) -> TenantLoader:
    """Records' own directory reads the registry itself: it has no copy to keep."""

    async def load() -> list[TenantProfile]:
        async with sessionmaker() as session:
            return [profile(tenant) for tenant in await TenantRepository(session).all()]

    return load
