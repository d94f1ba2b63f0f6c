"""Each service's copy of the tenant registry (records owns it): a small table fed by events, cached in memory.

The copy is written by idempotent handlers of TenantConfigured and TenantSuspended (a row per tenant, never
moved back to an older version); the process that commits a change drops its cache at once, other replicas
reload within `tenant_cache_seconds`. No restart is needed for any change.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_shared.db import SessionMaker, UTCDateTime, insert_for, on_commit, utcnow
from bluemap_shared.events.catalog import TenantConfigured, TenantProfile, TenantSuspended
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging.inbox import EventConsumer
from bluemap_shared.problems import NotFound, Problem

log = structlog.get_logger()

DEFAULT_CACHE_SECONDS = 5.0


class TenantSettings(SQLModel, table=True):
    """This service's copy of one tenant's settings (the registry's TenantProfile, as last configured)."""

    __tablename__ = "tenant_settings"

    tenant_id: str = Field(primary_key=True, max_length=64)
    version: int
    status: str = Field(max_length=20)
    profile: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


TENANT_TABLES = (TenantSettings.__table__,)  # type: ignore[attr-defined]


class TenantSuspendedProblem(Problem):
    """The tenant exists but the platform operator suspended it."""

    status = 503
    type = "tenant-suspended"
    title = "Tenant suspended"


class UnknownHost(NotFound):
    type = "unknown-host"
    title = "No tenant answers for this host"


TenantLoader = Callable[[], Awaitable[Iterable[TenantProfile]]]


class TenantDirectory:
    """The tenants this service knows, in memory; reloaded after a change commits here, or when older than ttl."""

    def __init__(self, load: TenantLoader, *, ttl: float = DEFAULT_CACHE_SECONDS) -> None:
        self._load = load
        self._ttl = ttl
        self._tenants: dict[str, TenantProfile] = {}
        self._hosts: dict[str, str] = {}
        self._loaded_at: float | None = None
        self._generation = 0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._generation += 1
        self._loaded_at = None

    async def _fresh(self) -> None:
        if self._loaded_at is not None and time.monotonic() - self._loaded_at < self._ttl:
            return
        async with self._lock:
            if self._loaded_at is not None and time.monotonic() - self._loaded_at < self._ttl:
                return
            generation, started = self._generation, time.monotonic()
            tenants = {profile.tenant_id: profile for profile in await self._load()}
            self._tenants = tenants
            self._hosts = {host: profile.tenant_id for profile in tenants.values() for host in profile.hostnames}
            # A change that committed while this loaded may be missing from it: the next request loads again.
            self._loaded_at = started if generation == self._generation else None

    async def get(self, tenant_id: str) -> TenantProfile | None:
        await self._fresh()
        return self._tenants.get(tenant_id)

    async def all(self) -> list[TenantProfile]:
        await self._fresh()
        return list(self._tenants.values())

    async def for_host(self, host: str) -> TenantProfile | None:
        """The tenant whose hostnames hold host (lower case, no port), or None."""
        await self._fresh()
        tenant_id = self._hosts.get(host)
        return self._tenants.get(tenant_id) if tenant_id else None

    async def is_empty(self) -> bool:
        await self._fresh()
        return not self._tenants

    async def check_active(self, tenant_id: str) -> None:
        """503 (problem) when the tenant is suspended; unknown tenants pass (tokens name only issued tenants)."""
        profile = await self.get(tenant_id)
        if profile is not None and profile.status == "suspended":
            raise TenantSuspendedProblem(f"The tenant {tenant_id} is suspended.", tenant_id=tenant_id)


def copy_loader(sessionmaker: SessionMaker) -> TenantLoader:
    """Reads this service's copy (tenant_settings) in a short transaction of its own."""

    async def load() -> list[TenantProfile]:
        async with sessionmaker() as session:
            rows = (await session.exec(select(TenantSettings))).all()
        return [TenantProfile.model_validate(row.profile) for row in rows]

    return load


async def store_profile(session: AsyncSession, profile: TenantProfile) -> None:
    """Upsert the copy unless it already holds this version or a newer one (redelivery, replay, overtaking)."""
    table = TenantSettings.__table__  # type: ignore[attr-defined]
    values = {
        "tenant_id": profile.tenant_id,
        "version": profile.version,
        "status": profile.status,
        "profile": profile.model_dump(mode="json"),
        "updated_at": utcnow(),
    }
    stmt = insert_for(session)(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant_id"],
        set_={key: stmt.excluded[key] for key in ("version", "status", "profile", "updated_at")},
        where=table.c.version < stmt.excluded.version,
    )
    await session.exec(stmt)


async def store_suspension(session: AsyncSession, tenant_id: str, version: int) -> None:
    """Mark the copy suspended unless it already holds this version or a newer one."""
    row = await session.get(TenantSettings, tenant_id)
    if row is None or row.version >= version:
        # Never configured here: nothing to suspend (the TenantConfigured of version 1 comes first on its key).
        return
    row.profile = {**row.profile, "status": "suspended", "version": version}
    row.status = "suspended"
    row.version = version
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()


def keep_tenant_copy(consumer: EventConsumer, directory: TenantDirectory) -> None:
    """Handlers that keep this service's copy of the registry; the cache drops after each change commits."""

    @consumer.on(TenantConfigured)
    async def configured(session: AsyncSession, envelope: Envelope[TenantConfigured]) -> None:
        await store_profile(session, envelope.data.tenant)
        on_commit(session, directory.invalidate)
        log.info("tenants.configured", tenant_id=envelope.data.tenant.tenant_id, version=envelope.data.tenant.version)

    @consumer.on(TenantSuspended)
    async def suspended(session: AsyncSession, envelope: Envelope[TenantSuspended]) -> None:
        await store_suspension(session, envelope.data.tenant_id, envelope.data.version)
        on_commit(session, directory.invalidate)
        log.info("tenants.suspended", tenant_id=envelope.data.tenant_id, version=envelope.data.version)


def tenant_directory(request: Request) -> TenantDirectory:
    return request.app.state.tenants  # type: ignore[no-any-return]


async def _directory(request: Request) -> TenantDirectory:
    return tenant_directory(request)


TenantsDep = Annotated[TenantDirectory, Depends(_directory)]
