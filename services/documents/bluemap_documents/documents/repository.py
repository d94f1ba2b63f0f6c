"""Document queries, always scoped by tenant."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.documents.models import Document


class DocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, document_id: UUID) -> Document | None:
        result = await self.session.exec(
            select(Document).where(Document.tenant_id == tenant_id, Document.id == document_id)
        )
        return result.first()

    async def list(
        self, tenant_id: str, *, enterprise_id: UUID | None, kind: str | None, before: UUID | None, limit: int
    ) -> Sequence[Document]:
        """Newest first: ids are uuid7, so their order is the upload order."""
        query = select(Document).where(Document.tenant_id == tenant_id)
        if enterprise_id is not None:
            query = query.where(Document.enterprise_id == enterprise_id)
        if kind is not None:
            query = query.where(Document.kind == kind)
        if before is not None:
            query = query.where(col(Document.id) < before)
        result = await self.session.exec(query.order_by(col(Document.id).desc()).limit(limit))
        return result.all()

    def add(self, document: Document) -> None:
        self.session.add(document)
