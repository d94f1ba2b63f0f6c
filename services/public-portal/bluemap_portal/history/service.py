"""Use cases of the history log: append public changes, sign heads, give entries and proofs."""

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.history import merkle
from bluemap_portal.history.leaves import RECORD_PUBLISHED, RECORD_RETRACTED, Change, canonical
from bluemap_portal.history.models import HistoryHead, HistoryLeaf
from bluemap_portal.history.repository import HistoryRepository
from bluemap_portal.history.signing import SigningKeys
from bluemap_portal.site.page_cache import touch_pages
from bluemap_shared.db import utcnow
from bluemap_shared.problems import InvalidInput, NotFound

log = structlog.get_logger()

# Complete subtrees of 2**STORED_LEVEL leaves or more are stored as they close (a row per 128 leaves);
# a proof computes the smaller ones from at most 2**STORED_LEVEL - 1 stored leaf hashes each.
STORED_LEVEL = 8
HEAD_VERSION = "bluemap-tree-head-v1"


async def append(session: AsyncSession, changes: Sequence[Change]) -> None:
    """Append the changes to their tenants' logs, in order, in the caller's transaction: one append per tenant."""
    by_tenant: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        by_tenant[change.tenant_id].append(change)
    for tenant_id in sorted(by_tenant):  # trees locked in one order: concurrent batches wait, never deadlock
        await _append(session, tenant_id, by_tenant[tenant_id])


async def _append(session: AsyncSession, tenant_id: str, changes: Sequence[Change]) -> None:
    repository = HistoryRepository(session)
    touch_pages(session, tenant_id, history=True)
    tree = await repository.locked_tree(tenant_id)
    frontier = merkle.Frontier(tree.size, _split(tree.frontier))
    retracted = await repository.retracted_among(
        tenant_id, {c.record_id for c in changes if c.record_id is not None and c.kind != RECORD_PUBLISHED}
    )
    nodes: list[dict[str, Any]] = []

    def keep(block: merkle.Block, node: bytes) -> None:
        if block[0] >= STORED_LEVEL:
            nodes.append({"tenant_id": tenant_id, "level": block[0], "index": block[1], "hash": node})

    now = utcnow()
    leaves: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for change in changes:
        salted = change.salted_content()
        leaf = canonical(change.leaf(salted))
        hashed = merkle.leaf_hash(leaf)
        index = frontier.size
        frontier.append(hashed, keep)
        shown = change.record_id not in retracted
        leaves.append(
            {
                "tenant_id": tenant_id,
                "leaf_index": index,
                "leaf_hash": hashed,
                "kind": change.kind,
                "record_id": change.record_id,
                "leaf": leaf.decode(),
                "content": salted.json.decode() if salted is not None and shown else None,
                "recorded_at": now,
            }
        )
        links += [{"tenant_id": tenant_id, "record_id": r, "leaf_index": index} for r in change.linked_records]
    await repository.add(leaves, links, nodes)
    await repository.save_tree(tenant_id, frontier.size, b"".join(frontier.hashes))
    retractions = {c.record_id for c in changes if c.kind == RECORD_RETRACTED and c.record_id is not None}
    if retractions:
        # The text of a retracted record (and of its explanations) leaves the log; the digests stay.
        await repository.withhold_content(tenant_id, retractions)


def _split(frontier: bytes) -> list[bytes]:
    return [frontier[i : i + merkle.HASH_SIZE] for i in range(0, len(frontier), merkle.HASH_SIZE)]


async def block_hashes(
    session: AsyncSession, tenant_id: str, blocks: Sequence[merkle.Block]
) -> dict[merkle.Block, bytes]:
    """The hashes of complete subtrees: the larger ones stored, the smaller ones from their leaves' hashes."""
    repository = HistoryRepository(session)
    stored = [block for block in blocks if block[0] >= STORED_LEVEL]
    small = [block for block in blocks if block[0] < STORED_LEVEL]
    known = await repository.nodes(tenant_id, stored)
    leaf_hashes = await repository.leaf_hashes(tenant_id, _merged([(i << lv, (i + 1) << lv) for lv, i in small]))
    for level, i in small:
        known[(level, i)] = merkle.mth([leaf_hashes[j] for j in range(i << level, (i + 1) << level)])
    return known


def _merged(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


async def _fold(session: AsyncSession, tenant_id: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    return merkle.fold_ranges(ranges, await block_hashes(session, tenant_id, merkle.needed_blocks(ranges)))


async def tree_size(session: AsyncSession, tenant_id: str) -> int:
    tree = await HistoryRepository(session).tree(tenant_id)
    return tree.size if tree else 0


async def _checked_size(session: AsyncSession, tenant_id: str, size: int | None) -> int:
    """The size asked for, or the latest head's; InvalidInput past the log's end."""
    if size is None:
        head = await HistoryRepository(session).latest_head(tenant_id)
        if head is None:
            raise NotFound("No tree head has been published yet.")
        return head.tree_size
    current = await tree_size(session, tenant_id)
    if size > current:
        raise InvalidInput("The log is not that large yet.", tree_size=current)
    return size


@dataclass
class InclusionProof:
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    audit_path: list[bytes]


async def inclusion_proof(
    session: AsyncSession, tenant_id: str, *, leaf_index: int | None, leaf_hash: bytes | None, tree_size: int | None
) -> InclusionProof:
    """RFC 9162 PATH for a leaf given by index or by hash, in the tree of tree_size (default: the latest head)."""
    size = await _checked_size(session, tenant_id, tree_size)
    repository = HistoryRepository(session)
    if leaf_hash is not None:
        leaf = await repository.leaf_by_hash(tenant_id, leaf_hash)
        if leaf is None:
            raise NotFound("No entry has this leaf hash.")
        leaf_index = leaf.leaf_index
    if leaf_index is None:
        raise InvalidInput("Give leaf_index or leaf_hash.")
    if leaf_index >= size:
        raise InvalidInput("The entry is not in a tree of this size.", leaf_index=leaf_index, tree_size=size)
    hashes = await repository.leaf_hashes(tenant_id, [(leaf_index, leaf_index + 1)])
    path = await _fold(session, tenant_id, merkle.inclusion_ranges(leaf_index, size))
    return InclusionProof(leaf_index, size, hashes[leaf_index], path)


async def consistency_proof(
    session: AsyncSession, tenant_id: str, first: int, second: int | None
) -> tuple[int, list[bytes]]:
    """RFC 9162 PROOF between the trees of first and second leaves (default: the latest head); (second, proof)."""
    size = await _checked_size(session, tenant_id, second)
    if first > size:
        raise InvalidInput("first must not be larger than second.", first=first, second=size)
    return size, await _fold(session, tenant_id, merkle.consistency_ranges(first, size))


async def root_hash(session: AsyncSession, tenant_id: str, size: int) -> bytes:
    """MTH of the first size leaves of the tenant's log."""
    if size == 0:
        return merkle.EMPTY_ROOT
    return (await _fold(session, tenant_id, [(0, size)]))[0]


def head_message(tenant_id: str, tree_size: int, root: bytes, timestamp: int, key_id: str) -> bytes:
    """What a tree head's signature signs: the RFC 8785 JSON of the head's fields."""
    return canonical(
        {
            "v": HEAD_VERSION,
            "log": tenant_id,
            "tree_size": tree_size,
            "root_hash": root.hex(),
            "timestamp": timestamp,
            "key_id": key_id,
        }
    )


async def publish_head(session: AsyncSession, keys: SigningKeys, tenant_id: str) -> HistoryHead | None:
    """Sign and store the head of the tenant's log when it grew since its last head; the new head, if any."""
    repository = HistoryRepository(session)
    tree = await repository.tree(tenant_id)
    latest = await repository.latest_head(tenant_id)
    if tree is None or (latest is not None and latest.tree_size >= tree.size):
        return None
    touch_pages(session, tenant_id, history=True)
    key = await keys.of(session, tenant_id)
    root = merkle.Frontier(tree.size, _split(tree.frontier)).root()
    timestamp = int(time.time() * 1000)
    signature = key.sign(head_message(tenant_id, tree.size, root, timestamp, key.key_id))
    head = HistoryHead(
        tenant_id=tenant_id,
        tree_size=tree.size,
        root_hash=root,
        timestamp=timestamp,
        key_id=key.key_id,
        signature=signature,
    )
    if not await repository.add_head(head.model_dump()):
        return None  # another replica signed this size first
    log.info("history.head_published", tenant_id=tenant_id, tree_size=tree.size)
    return head


async def publish_heads(session: AsyncSession, keys: SigningKeys) -> int:
    """publish_head for every tenant with a log; how many heads were signed."""
    published = 0
    for tree in await HistoryRepository(session).trees():
        published += await publish_head(session, keys, tree.tenant_id) is not None
    return published


async def head_of_size(session: AsyncSession, tenant_id: str, tree_size: int) -> HistoryHead:
    head = await HistoryRepository(session).head(tenant_id, tree_size)
    if head is None:
        raise NotFound("No head was published at this size.")
    return head


async def latest_head(session: AsyncSession, tenant_id: str) -> HistoryHead:
    head = await HistoryRepository(session).latest_head(tenant_id)
    if head is None:
        raise NotFound("No tree head has been published yet.")
    return head


async def entries(session: AsyncSession, tenant_id: str, start: int, end: int) -> Sequence[HistoryLeaf]:
    if end <= start:
        raise InvalidInput("end must be larger than start.", start=start, end=end)
    return await HistoryRepository(session).leaves(tenant_id, start, end)


async def of_record(
    session: AsyncSession, tenant_id: str, record_id: UUID, *, limit: int = 500
) -> Sequence[HistoryLeaf]:
    return await HistoryRepository(session).of_record(tenant_id, record_id, limit=limit)


def parsed(text: str | None) -> Any:
    return orjson.loads(text) if text is not None else None
