"""Record queries, always scoped by tenant."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.records.models import Record


class RecordRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, record_id: UUID) -> Record | None:
        result = await self.session.exec(select(Record).where(Record.tenant_id == tenant_id, Record.id == record_id))
        return result.first()

    async def list(
        self, tenant_id: str, *, enterprise_id: UUID | None, record_type: str | None, after: UUID | None, limit: int
    ) -> Sequence[Record]:
        query = select(Record).where(Record.tenant_id == tenant_id)
        if enterprise_id is not None:
            query = query.where(Record.enterprise_id == enterprise_id)
        if record_type is not None:
            query = query.where(Record.record_type == record_type)
        if after is not None:
            query = query.where(col(Record.id) > after)
        result = await self.session.exec(query.order_by(col(Record.id)).limit(limit))
        return result.all()

    def add(self, record: Record) -> None:
        self.session.add(record)
