"""A tenant's stored objects, for offboarding: exported with its rows, deleted after them."""

import asyncio
from pathlib import Path

from sqlmodel import col, select

from bluemap_documents.documents.content import tenant_prefix
from bluemap_documents.documents.models import Document
from bluemap_shared.db import SessionMaker
from bluemap_shared.storage import ObjectStorage


class TenantObjects:
    """Objects under the tenant's key prefix, and older unprefixed ones its documents reference."""

    def __init__(self, sessionmaker: SessionMaker, storage: ObjectStorage) -> None:
        self._sessionmaker = sessionmaker
        self._storage = storage

    async def _keys(self, tenant_id: str) -> list[str]:
        keys = [stored.key async for stored in self._storage.list(tenant_prefix(tenant_id))]
        async with self._sessionmaker() as session:
            unprefixed = await session.exec(
                select(Document.storage_key)
                .where(Document.tenant_id == tenant_id, ~col(Document.storage_key).startswith("tenants/"))
                .distinct()
            )
            keys += unprefixed.all()
        return keys

    async def export(self, tenant_id: str, into: Path) -> int:
        """Copy each object to `<into>/objects/<key>`."""
        keys = await self._keys(tenant_id)
        for key in keys:
            target = into / "objects" / key
            await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
            with target.open("wb") as out:
                async for chunk in self._storage.read(key):
                    await asyncio.to_thread(out.write, chunk)
        return len(keys)

    async def delete(self, tenant_id: str) -> int:
        """Delete the objects under the tenant's prefix; unprefixed ones go with the collector once unreferenced."""
        keys = [stored.key async for stored in self._storage.list(tenant_prefix(tenant_id))]
        for key in keys:
            await self._storage.delete(key)
        return len(keys)
