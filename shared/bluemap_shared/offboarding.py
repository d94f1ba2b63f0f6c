"""Tenant offboarding in one service: export every row of the tenant (and its stored objects), then delete them.

Every table a service's migrations manage has a tenant_id column, but for those listed as
TENANT_FREE in its models (rows that name no tenant, such as throttling counters). Export writes
one JSON Lines file per table; delete removes rows children first (foreign keys), in batches, then
lets hooks remove what lives outside the database (documents' objects).
"""

import asyncio
import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import structlog
from sqlalchemy import Table, delete, func, select, tuple_

from bluemap_shared.db import SessionMaker

log = structlog.get_logger()

# Rows a delete statement removes at once: short transactions on tables other tenants are writing.
DELETE_BATCH = 5000


class TenantDataHook(Protocol):
    """What a service keeps of a tenant outside its database."""

    async def export(self, tenant_id: str, into: Path) -> int:
        """Copy the tenant's data under into; how many items."""

    async def delete(self, tenant_id: str) -> int:
        """Remove the tenant's data; how many items."""


@dataclass
class TenantData:
    """A service's tenant-scoped tables (in foreign-key order, parents first) and hooks."""

    tables: Sequence[Table]
    hooks: list[TenantDataHook] = field(default_factory=list)

    @classmethod
    def of(cls, tables: Sequence[Table], *, tenant_free: Sequence[str] = ()) -> "TenantData":
        """The tables among `tables` with tenant rows; refuses one without tenant_id that is not declared free."""
        scoped = []
        for table in _parents_first(tables):
            if "tenant_id" in table.c:
                scoped.append(table)
            elif table.name not in tenant_free:
                raise ValueError(f"{table.name} has no tenant_id column: offboarding could not find a tenant's rows")
        return cls(scoped)


def _parents_first(tables: Sequence[Table]) -> list[Table]:
    names = {table.name for table in tables}
    ordered = [t for t in tables[0].metadata.sorted_tables if t.name in names] if tables else []
    return ordered


def _json_default(value: Any) -> Any:
    if isinstance(value, UUID | datetime | date):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode()}
    raise TypeError(f"cannot export {type(value).__name__}")


async def export_tenant(sessionmaker: SessionMaker, data: TenantData, tenant_id: str, into: Path) -> dict[str, int]:
    """Write the tenant's rows as `<into>/<table>.jsonl` (and what hooks export); counts per table."""
    await asyncio.to_thread(into.mkdir, parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    async with sessionmaker() as session:
        connection = await session.connection()
        for table in data.tables:
            count = 0
            path = into / f"{table.name}.jsonl"
            with path.open("w", encoding="utf-8") as out:
                result = await connection.stream(select(table).where(table.c.tenant_id == tenant_id))
                async for row in result.mappings():
                    out.write(json.dumps(dict(row), default=_json_default, ensure_ascii=False) + "\n")
                    count += 1
            counts[table.name] = count
    for hook in data.hooks:
        counts[type(hook).__name__] = await hook.export(tenant_id, into)
    log.info("tenant.exported", tenant_id=tenant_id, into=str(into), **counts)
    return counts


async def delete_tenant(sessionmaker: SessionMaker, data: TenantData, tenant_id: str) -> dict[str, int]:
    """Delete the tenant's rows, children first, in batches, then what hooks keep; counts per table."""
    counts: dict[str, int] = {}
    for table in reversed(data.tables):
        counts[table.name] = 0
        key = list(table.primary_key.columns)
        while True:
            async with sessionmaker() as session, session.begin():
                connection = await session.connection()
                batch = select(*key).where(table.c.tenant_id == tenant_id).limit(DELETE_BATCH)
                target = key[0] if len(key) == 1 else tuple_(*key)
                deleted = (await connection.execute(delete(table).where(target.in_(batch)))).rowcount or 0
            counts[table.name] += deleted
            if deleted < DELETE_BATCH:
                break
    for hook in data.hooks:
        counts[type(hook).__name__] = await hook.delete(tenant_id)
    log.info("tenant.deleted", tenant_id=tenant_id, **counts)
    return counts


async def remaining_rows(sessionmaker: SessionMaker, data: TenantData, tenant_id: str) -> dict[str, int]:
    """Rows of the tenant still in each table (all zero after delete_tenant)."""
    async with sessionmaker() as session:
        connection = await session.connection()
        return {
            table.name: (
                await connection.execute(select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id))
            ).scalar_one()
            for table in data.tables
        }
