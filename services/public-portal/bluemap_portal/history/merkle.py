"""RFC 9162 Merkle tree algorithms (MTH, PATH, PROOF and their verification) over ranges of leaves.

Proofs are built from the hashes of ranges [start, end) of the leaves, each of which is a right fold of
complete, aligned subtrees (blocks). The caller supplies the blocks' hashes (stored, cached or computed
from leaf hashes), so the same code serves a table of a million leaves and a list in a unit test.
"""

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# (level, index): the complete subtree of the 2**level leaves starting at index * 2**level.
Block = tuple[int, int]
BlockHashes = Callable[[Sequence[Block]], dict[Block, bytes]]


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162 2.1.1: SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 2.1.1: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def mth(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of leaves given by their leaf hashes (the reference definition, recursive)."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = split_point(n)
    return node_hash(mth(leaf_hashes[:k]), mth(leaf_hashes[k:]))


def blocks_of(start: int, end: int) -> list[Block]:
    """The complete aligned subtrees whose right fold is MTH(D[start:end]), largest first.

    Holds for every range PATH and PROOF ask for: start is a multiple of the largest block.
    """
    blocks: list[Block] = []
    while start < end:
        level = (end - start).bit_length() - 1
        blocks.append((level, start >> level))
        start += 1 << level
    return blocks


def fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold of block hashes, largest first: the MTH of their concatenated leaves."""
    result = hashes[-1]
    for block in reversed(hashes[:-1]):
        result = node_hash(block, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """RFC 9162 PATH(index, D[size]) as the ranges whose MTHs make the audit path, leaf side first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """RFC 9162 PROOF(old_size, D[new_size]) as ranges, in the order of the proof."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    start, end, whole = 0, new_size, True
    m = old_size
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            whole = False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def needed_blocks(ranges: Sequence[tuple[int, int]]) -> list[Block]:
    """Every block the MTHs of the ranges are folded from, once each."""
    return sorted({block for start, end in ranges for block in blocks_of(start, end)})


def fold_ranges(ranges: Sequence[tuple[int, int]], known: Mapping[Block, bytes]) -> list[bytes]:
    """The MTH of each range from the hashes of its blocks."""
    return [fold([known[block] for block in blocks_of(start, end)]) for start, end in ranges]


def range_hashes(ranges: Sequence[tuple[int, int]], block_hashes: BlockHashes) -> list[bytes]:
    """The MTH of each range, asking block_hashes once for every block they need."""
    return fold_ranges(ranges, block_hashes(needed_blocks(ranges)))


def blocks_from_leaves(leaf_hashes: Sequence[bytes]) -> BlockHashes:
    """A block_hashes over leaf hashes held in memory (tests, the verifier, small trees)."""

    def hashes(blocks: Sequence[Block]) -> dict[Block, bytes]:
        return {(level, i): mth(leaf_hashes[i << level : (i + 1) << level]) for level, i in blocks}

    return hashes


def root_of(size: int, block_hashes: BlockHashes) -> bytes:
    """MTH of the first size leaves."""
    if size == 0:
        return EMPTY_ROOT
    return range_hashes([(0, size)], block_hashes)[0]


def inclusion_proof(index: int, size: int, block_hashes: BlockHashes) -> list[bytes]:
    return range_hashes(inclusion_ranges(index, size), block_hashes)


def consistency_proof(old_size: int, new_size: int, block_hashes: BlockHashes) -> list[bytes]:
    return range_hashes(consistency_ranges(old_size, new_size), block_hashes)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2, given the leaf's hash."""
    if not 0 <= index < size or any(len(p) != HASH_SIZE for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 2.1.4.2; sizes 0 and equal sizes take an empty proof."""
    if not 0 <= old_size <= new_size or any(len(p) != HASH_SIZE for p in proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


@dataclass
class Frontier:
    """The compact range of a tree: the hashes of its complete subtrees along the right edge, largest first.

    Appending costs one leaf hash plus one node hash per completed subtree (two on average); the blocks
    completed on the way are reported so that the larger ones can be stored for proofs.
    """

    size: int
    hashes: list[bytes]

    @classmethod
    def empty(cls) -> "Frontier":
        return cls(0, [])

    def append(self, leaf_hash_: bytes, completed: Callable[[Block, bytes], None] | None = None) -> None:
        """Add the leaf (by its leaf hash); completed(block, hash) hears every complete subtree it closes."""
        index = self.size
        current = leaf_hash_
        level = 0
        if completed:
            completed((0, index), current)
        while (index >> level) & 1:
            current = node_hash(self.hashes.pop(), current)
            level += 1
            if completed:
                completed((level, index >> level), current)
        self.hashes.append(current)
        self.size += 1

    def extend(self, leaf_hashes: Iterable[bytes], completed: Callable[[Block, bytes], None] | None = None) -> None:
        for h in leaf_hashes:
            self.append(h, completed)

    def root(self) -> bytes:
        return fold(self.hashes) if self.hashes else EMPTY_ROOT
