"""Queries of the portal's documents and rendered PDFs, always scoped by tenant."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.documents.models import PortalDocument, PortalRenderedPdf
from bluemap_portal.enterprises.models import PortalEnterprise
from bluemap_shared.db import upsert


@dataclass(frozen=True)
class DocumentFilter:
    """Documents of a type (category, else kind), of a region (code prefix), published in [since, until)."""

    type: str | None = None
    region: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _same_tenant(table: Any, proposed: Any) -> Any:
    return table.c.tenant_id == proposed.tenant_id


class DocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_enterprise(self, tenant_id: str, enterprise_id: UUID) -> Sequence[PortalDocument]:
        """One enterprise's published documents, newest first."""
        result = await self.session.exec(
            select(PortalDocument)
            .where(PortalDocument.tenant_id == tenant_id, PortalDocument.enterprise_id == enterprise_id)
            .order_by(col(PortalDocument.published_at).desc(), col(PortalDocument.id).desc())
        )
        return result.all()

    async def get_many(self, tenant_id: str, ids: Collection[UUID]) -> Sequence[PortalDocument]:
        if not ids:
            return []
        result = await self.session.exec(
            select(PortalDocument).where(PortalDocument.tenant_id == tenant_id, col(PortalDocument.id).in_(ids))
        )
        return result.all()

    def _listed(self, tenant_id: str, where: DocumentFilter) -> list[Any]:
        conditions: list[Any] = [col(PortalDocument.tenant_id) == tenant_id]
        if where.type:
            conditions.append(func.coalesce(col(PortalDocument.category), col(PortalDocument.kind)) == where.type)
        if where.region:
            conditions.append(
                col(PortalDocument.enterprise_id).in_(
                    select(PortalEnterprise.id).where(
                        PortalEnterprise.tenant_id == tenant_id,
                        col(PortalEnterprise.region_code).startswith(where.region, autoescape=True),
                    )
                )
            )
        if where.since is not None:
            conditions.append(col(PortalDocument.published_at) >= where.since)
        if where.until is not None:
            conditions.append(col(PortalDocument.published_at) < where.until)
        return conditions

    async def page(self, tenant_id: str, *, where: DocumentFilter, offset: int, limit: int) -> Sequence[PortalDocument]:
        """Published documents across enterprises, newest first."""
        result = await self.session.exec(
            select(PortalDocument)
            .where(*self._listed(tenant_id, where))
            .order_by(col(PortalDocument.published_at).desc(), col(PortalDocument.id).desc())
            .offset(offset)
            .limit(limit)
        )
        return result.all()

    async def count(self, tenant_id: str, *, where: DocumentFilter) -> int:
        result = await self.session.exec(
            select(func.count()).select_from(PortalDocument).where(*self._listed(tenant_id, where))
        )
        return int(result.one())

    async def types(self, tenant_id: str) -> list[str]:
        """The document types (category, else kind) published in the tenant."""
        result = await self.session.exec(
            select(func.coalesce(col(PortalDocument.category), col(PortalDocument.kind)))
            .where(PortalDocument.tenant_id == tenant_id)
            .distinct()
        )
        return sorted(str(t) for t in result.all() if t)

    async def published_range(self, tenant_id: str) -> tuple[datetime | None, datetime | None]:
        """When the first and the latest document were published."""
        result = await self.session.exec(
            select(PortalDocument.published_at)
            .where(PortalDocument.tenant_id == tenant_id)
            .order_by(col(PortalDocument.published_at))
            .limit(1)
        )
        first = result.first()
        result = await self.session.exec(
            select(PortalDocument.published_at)
            .where(PortalDocument.tenant_id == tenant_id)
            .order_by(col(PortalDocument.published_at).desc())
            .limit(1)
        )
        return first, result.first()

    async def by_code(self, tenant_id: str, code: str) -> PortalDocument | None:
        result = await self.session.exec(
            select(PortalDocument)
            .where(PortalDocument.tenant_id == tenant_id, PortalDocument.verification_code == code)
            .order_by(col(PortalDocument.published_at).desc())
        )
        return result.first()

    async def of_submission(self, tenant_id: str, submission_id: UUID) -> Sequence[PortalDocument]:
        """The published documents of a submission (its signed scan), newest first."""
        result = await self.session.exec(
            select(PortalDocument)
            .where(PortalDocument.tenant_id == tenant_id, PortalDocument.submission_id == submission_id)
            .order_by(col(PortalDocument.published_at).desc())
        )
        return result.all()

    async def upsert(self, values: dict[str, Any]) -> bool:
        return await upsert(self.session, PortalDocument, values, only_if=_same_tenant)


class RenderedPdfRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_code(self, tenant_id: str, code: str) -> PortalRenderedPdf | None:
        result = await self.session.exec(
            select(PortalRenderedPdf)
            .where(PortalRenderedPdf.tenant_id == tenant_id, PortalRenderedPdf.verification_code == code)
            .order_by(col(PortalRenderedPdf.rendered_at).desc())
        )
        return result.first()

    async def of_submissions(self, tenant_id: str, submission_ids: Collection[UUID]) -> Sequence[PortalRenderedPdf]:
        """The rendered PDFs of some submissions, newest first."""
        if not submission_ids:
            return []
        result = await self.session.exec(
            select(PortalRenderedPdf)
            .where(PortalRenderedPdf.tenant_id == tenant_id, col(PortalRenderedPdf.submission_id).in_(submission_ids))
            .order_by(col(PortalRenderedPdf.rendered_at).desc())
        )
        return result.all()

    async def upsert(self, values: dict[str, Any]) -> bool:
        return await upsert(self.session, PortalRenderedPdf, values, only_if=_same_tenant)
