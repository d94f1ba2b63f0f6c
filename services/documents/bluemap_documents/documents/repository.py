"""Document queries, always scoped by tenant, except lookups by an id a signature or publication vouches for."""

from collections.abc import Collection, Sequence
from uuid import UUID

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.documents.models import Document, DocumentKind, DocumentStatus


class DocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, document_id: UUID, *, for_update: bool = False) -> Document | None:
        query = select(Document).where(Document.tenant_id == tenant_id, Document.id == document_id)
        if for_update:
            query = query.with_for_update()
        result = await self.session.exec(query)
        return result.first()

    async def get_by_id(self, document_id: UUID) -> Document | None:
        """Any tenant's document: only for a request whose capability signature names this id."""
        result = await self.session.exec(select(Document).where(Document.id == document_id))
        return result.first()

    async def get_published(self, document_id: UUID) -> Document | None:
        """A published document of any tenant: the public may download it."""
        result = await self.session.exec(
            select(Document).where(Document.id == document_id, Document.status == DocumentStatus.PUBLISHED)
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

    async def review_queue(
        self, tenant_id: str, *, status: str, kinds: Collection[str], after: UUID | None, limit: int
    ) -> Sequence[Document]:
        """Documents awaiting (or past) review, oldest first, so nothing waits forever behind new uploads."""
        query = select(Document).where(
            Document.tenant_id == tenant_id, Document.status == status, col(Document.kind).in_(list(kinds))
        )
        if after is not None:
            query = query.where(col(Document.id) > after)
        result = await self.session.exec(query.order_by(col(Document.id)).limit(limit))
        return result.all()

    async def disclosed(
        self,
        tenant_id: str,
        *,
        enterprise_id: UUID | None,
        statuses: Collection[str],
        kinds: Collection[str],
        before: UUID | None,
        limit: int,
    ) -> Sequence[Document]:
        """An enterprise's reviewed-kind documents in the given statuses, newest first."""
        query = select(Document).where(
            Document.tenant_id == tenant_id,
            col(Document.status).in_(list(statuses)),
            col(Document.kind).in_(list(kinds)),
        )
        if enterprise_id is not None:
            query = query.where(Document.enterprise_id == enterprise_id)
        if before is not None:
            query = query.where(col(Document.id) < before)
        result = await self.session.exec(query.order_by(col(Document.id).desc()).limit(limit))
        return result.all()

    async def pending_scan(self, tenant_id: str, submission_id: UUID) -> Document | None:
        """The submission's signed scan waiting for review, if any (a partial unique index allows one)."""
        result = await self.session.exec(
            select(Document).where(
                Document.tenant_id == tenant_id,
                Document.submission_id == submission_id,
                Document.kind == DocumentKind.SIGNED_EXPLANATION,
                Document.status == DocumentStatus.PENDING,
            )
        )
        return result.first()

    async def supersede_pending_scans(self, tenant_id: str, submission_id: UUID) -> int:
        """Mark a submission's scan that waits for review as replaced; returns how many were."""
        result = await self.session.exec(
            update(Document)
            .where(
                col(Document.tenant_id) == tenant_id,
                col(Document.submission_id) == submission_id,
                col(Document.kind) == DocumentKind.SIGNED_EXPLANATION,
                col(Document.status) == DocumentStatus.PENDING,
            )
            .values(status=DocumentStatus.SUPERSEDED)
        )
        return int(result.rowcount)

    def add(self, document: Document) -> None:
        self.session.add(document)
