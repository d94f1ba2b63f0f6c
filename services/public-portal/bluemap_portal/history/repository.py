"""Queries of the history log, always scoped by tenant."""

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import and_, or_, tuple_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.history.merkle import Block
from bluemap_portal.history.models import HistoryHead, HistoryLeaf, HistoryNode, HistoryRecordLink, HistoryTree
from bluemap_shared.db import bulk_insert, insert_ignore, utcnow


class HistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tree(self, tenant_id: str, *, lock: bool = False) -> HistoryTree | None:
        query = select(HistoryTree).where(HistoryTree.tenant_id == tenant_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.exec(query)).first()

    async def locked_tree(self, tenant_id: str) -> HistoryTree:
        """The tenant's tree, made when absent, locked until the transaction ends: appends go one at a time."""
        tree = await self.tree(tenant_id, lock=True)
        if tree is None:
            await insert_ignore(
                self.session,
                HistoryTree,
                {"tenant_id": tenant_id, "size": 0, "frontier": b"", "updated_at": utcnow()},
                ["tenant_id"],
            )
            tree = await self.tree(tenant_id, lock=True)
            assert tree is not None
        return tree

    async def trees(self) -> Sequence[HistoryTree]:
        return (await self.session.exec(select(HistoryTree))).all()

    async def save_tree(self, tenant_id: str, size: int, frontier: bytes) -> None:
        await self.session.exec(
            update(HistoryTree)
            .where(col(HistoryTree.tenant_id) == tenant_id)
            .values(size=size, frontier=frontier, updated_at=utcnow())
        )

    async def add(
        self, leaves: Sequence[dict[str, Any]], links: Sequence[dict[str, Any]], nodes: Sequence[dict[str, Any]]
    ) -> None:
        """Insert the appended leaves, their record links and the subtree hashes kept (COPY on PostgreSQL)."""
        await bulk_insert(self.session, HistoryLeaf.__table__, leaves)  # type: ignore[attr-defined]
        await bulk_insert(self.session, HistoryRecordLink.__table__, links)  # type: ignore[attr-defined]
        await bulk_insert(self.session, HistoryNode.__table__, nodes)  # type: ignore[attr-defined]

    async def retracted_among(self, tenant_id: str, record_ids: Collection[UUID]) -> set[UUID]:
        """The records of record_ids the log already tells were retracted."""
        if not record_ids:
            return set()
        result = await self.session.exec(
            select(HistoryLeaf.record_id).where(
                HistoryLeaf.tenant_id == tenant_id,
                col(HistoryLeaf.record_id).in_(record_ids),
                HistoryLeaf.kind == "record-retracted",
            )
        )
        return {record_id for record_id in result.all() if record_id is not None}

    async def withhold_content(self, tenant_id: str, record_ids: Collection[UUID]) -> None:
        """Drop the text of every entry about the records; their leaves keep its digest."""
        await self.session.exec(
            update(HistoryLeaf)
            .where(col(HistoryLeaf.tenant_id) == tenant_id, col(HistoryLeaf.record_id).in_(record_ids))
            .values(content=None)
        )

    async def leaf_hashes(self, tenant_id: str, ranges: Collection[tuple[int, int]]) -> dict[int, bytes]:
        """The leaf hashes of the leaves in the ranges [start, end)."""
        if not ranges:
            return {}
        index = col(HistoryLeaf.leaf_index)
        result = await self.session.exec(
            select(HistoryLeaf.leaf_index, HistoryLeaf.leaf_hash).where(
                HistoryLeaf.tenant_id == tenant_id, or_(*(and_(index >= start, index < end) for start, end in ranges))
            )
        )
        return {leaf_index: leaf_hash for leaf_index, leaf_hash in result.all()}

    async def nodes(self, tenant_id: str, blocks: Collection[Block]) -> dict[Block, bytes]:
        if not blocks:
            return {}
        result = await self.session.exec(
            select(HistoryNode.level, HistoryNode.index, HistoryNode.hash).where(
                HistoryNode.tenant_id == tenant_id,
                tuple_(col(HistoryNode.level), col(HistoryNode.index)).in_(list(blocks)),
            )
        )
        return {(level, index): node for level, index, node in result.all()}

    async def leaves(self, tenant_id: str, start: int, end: int) -> Sequence[HistoryLeaf]:
        result = await self.session.exec(
            select(HistoryLeaf)
            .where(
                HistoryLeaf.tenant_id == tenant_id,
                col(HistoryLeaf.leaf_index) >= start,
                col(HistoryLeaf.leaf_index) < end,
            )
            .order_by(col(HistoryLeaf.leaf_index))
        )
        return result.all()

    async def leaf_by_hash(self, tenant_id: str, leaf_hash: bytes) -> HistoryLeaf | None:
        result = await self.session.exec(
            select(HistoryLeaf)
            .where(HistoryLeaf.tenant_id == tenant_id, HistoryLeaf.leaf_hash == leaf_hash)
            .order_by(col(HistoryLeaf.leaf_index))
        )
        return result.first()

    async def of_record(self, tenant_id: str, record_id: UUID, *, limit: int) -> Sequence[HistoryLeaf]:
        """The entries about the record (its own, its explanations', the documents listed under it), in log order."""
        linked = select(HistoryRecordLink.leaf_index).where(
            HistoryRecordLink.tenant_id == tenant_id, HistoryRecordLink.record_id == record_id
        )
        result = await self.session.exec(
            select(HistoryLeaf)
            .where(
                HistoryLeaf.tenant_id == tenant_id,
                or_(col(HistoryLeaf.record_id) == record_id, col(HistoryLeaf.leaf_index).in_(linked)),
            )
            .order_by(col(HistoryLeaf.leaf_index))
            .limit(limit)
        )
        return result.all()

    async def latest_head(self, tenant_id: str) -> HistoryHead | None:
        result = await self.session.exec(
            select(HistoryHead).where(HistoryHead.tenant_id == tenant_id).order_by(col(HistoryHead.tree_size).desc())
        )
        return result.first()

    async def head(self, tenant_id: str, tree_size: int) -> HistoryHead | None:
        result = await self.session.exec(
            select(HistoryHead).where(HistoryHead.tenant_id == tenant_id, HistoryHead.tree_size == tree_size)
        )
        return result.first()

    async def add_head(self, head: dict[str, Any]) -> bool:
        return await insert_ignore(self.session, HistoryHead, head, ["tenant_id", "tree_size"])
