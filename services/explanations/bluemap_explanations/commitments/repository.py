"""Commitment queries, always scoped by tenant."""

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.commitments.models import CommitmentResponse, CommitmentText
from bluemap_shared.db import insert_ignore


class CommitmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def current_version(self, tenant_id: str, kind: str) -> int | None:
        result = await self.session.exec(
            select(func.max(CommitmentText.version)).where(
                CommitmentText.tenant_id == tenant_id, CommitmentText.kind == kind
            )
        )
        return result.one()

    async def text(self, tenant_id: str, kind: str, version: int, language: str) -> CommitmentText | None:
        result = await self.session.exec(
            select(CommitmentText).where(
                CommitmentText.tenant_id == tenant_id,
                CommitmentText.kind == kind,
                CommitmentText.version == version,
                CommitmentText.language == language,
            )
        )
        return result.first()

    async def insert_text(self, values: dict[str, Any]) -> bool:
        """Insert one text unless that tenant, kind, version and language exist; True when inserted."""
        return await insert_ignore(self.session, CommitmentText, values, ("tenant_id", "kind", "version", "language"))

    def add_response(self, response: CommitmentResponse) -> None:
        self.session.add(response)

    async def latest_response(
        self, tenant_id: str, enterprise_id: UUID, kind: str, version: int
    ) -> CommitmentResponse | None:
        result = await self.session.exec(
            select(CommitmentResponse)
            .where(
                CommitmentResponse.tenant_id == tenant_id,
                CommitmentResponse.enterprise_id == enterprise_id,
                CommitmentResponse.kind == kind,
                CommitmentResponse.version == version,
            )
            .order_by(col(CommitmentResponse.responded_at).desc(), col(CommitmentResponse.id).desc())
            .limit(1)
        )
        return result.first()

    async def responses(self, tenant_id: str, ids: Collection[UUID]) -> dict[UUID, CommitmentResponse]:
        if not ids:
            return {}
        result = await self.session.exec(
            select(CommitmentResponse).where(
                CommitmentResponse.tenant_id == tenant_id, col(CommitmentResponse.id).in_(ids)
            )
        )
        return {row.id: row for row in result.all()}

    async def list_responses(
        self, tenant_id: str, *, enterprise_id: UUID | None, kind: str | None, after: UUID | None, limit: int
    ) -> Sequence[CommitmentResponse]:
        query = select(CommitmentResponse).where(CommitmentResponse.tenant_id == tenant_id)
        if enterprise_id is not None:
            query = query.where(CommitmentResponse.enterprise_id == enterprise_id)
        if kind is not None:
            query = query.where(CommitmentResponse.kind == kind)
        if after is not None:
            query = query.where(col(CommitmentResponse.id) > after)
        result = await self.session.exec(query.order_by(col(CommitmentResponse.id)).limit(limit))
        return result.all()
