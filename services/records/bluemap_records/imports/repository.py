"""Import queries, always scoped by tenant."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.imports.models import ImportRejection, RecordImport
from bluemap_shared.db import bulk_insert

_IMPORTS = RecordImport.__table__  # type: ignore[attr-defined]
_REJECTIONS = ImportRejection.__table__  # type: ignore[attr-defined]


class ImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, record_import: RecordImport) -> None:
        self.session.add(record_import)

    async def get(self, tenant_id: str, import_id: UUID) -> RecordImport | None:
        result = await self.session.exec(
            select(RecordImport).where(RecordImport.tenant_id == tenant_id, RecordImport.id == import_id)
        )
        return result.first()

    async def list(self, tenant_id: str, *, limit: int) -> Sequence[RecordImport]:
        result = await self.session.exec(
            select(RecordImport)
            .where(RecordImport.tenant_id == tenant_id)
            .order_by(col(RecordImport.started_at).desc())
            .limit(limit)
        )
        return result.all()

    async def add_rejections(self, rows: Sequence[dict[str, Any]]) -> None:
        await bulk_insert(self.session, _REJECTIONS, rows)

    async def rejections(
        self, tenant_id: str, import_id: UUID, *, after_line: int, limit: int
    ) -> Sequence[ImportRejection]:
        """Rejected rows in file order, a page after line after_line (ix_import_rejections_import_line).

        By line, not by insertion: an import writes batches in two transactions at a time.
        """
        result = await self.session.exec(
            select(ImportRejection)
            .where(
                ImportRejection.tenant_id == tenant_id,
                ImportRejection.import_id == import_id,
                col(ImportRejection.line) > after_line,
            )
            .order_by(col(ImportRejection.import_id), col(ImportRejection.line))
            .limit(limit)
        )
        return result.all()

    async def count_progress(self, tenant_id: str, import_id: UUID, counts: dict[str, int], at: datetime) -> None:
        """Add a batch's counts to the import's and mark it alive."""
        values: dict[str, Any] = {name: _IMPORTS.c[name] + n for name, n in counts.items()}
        await self.session.exec(
            update(_IMPORTS)
            .where(_IMPORTS.c.tenant_id == tenant_id, _IMPORTS.c.id == import_id)
            .values(heartbeat_at=at, **values)
        )

    async def interrupt_stale(self, before: datetime) -> int:
        """Mark running imports silent since before as interrupted (their process is gone); how many."""
        result = await self.session.exec(
            update(_IMPORTS)
            .where(_IMPORTS.c.status == "running", _IMPORTS.c.heartbeat_at < before)
            .values(
                status="interrupted",
                finished_at=before,
                failure="The process running the import stopped; import the file again to finish it.",
            )
        )
        return int(result.rowcount)
