"""The public history log: what an append costs per change, and how large proofs are at 10M entries.

1. CPU per change, in memory: the append's work on a RecordPublished (the leaf and its salted content
   as RFC 8785 JSON, SHA-256 of both, the leaf hash, the frontier's node hashes) next to a bare SHA-256
   of the same leaf bytes, in the same run.
2. The portal's projection of RecordPublished on PostgreSQL (fetched batches through its consumer, one
   transaction each) with the history append and without it (the same handlers, the append replaced by
   nothing), interleaved rounds on two fresh databases: what the log adds to a bulk import's projection.
3. Proofs at --size entries (simulated: leaf i is SHA-256 of i, in memory; the subtrees of 256 leaves and
   more kept as the portal stores them): inclusion and consistency proofs, their hashes, bytes and JSON
   size, verified, and the stored rows a proof reads.

`.venv/bin/python bench/history_append.py --changes 20000 --events 5000 --batch 500 --rounds 3 --size 10000000`
"""

import argparse
import asyncio
import hashlib
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from local_servers import create_database, drop_database
from measure import admin_dsn, database_dsns
from set_based_projections import feed, portal_handlers, stream

from bluemap_portal import projections
from bluemap_portal.history import merkle
from bluemap_portal.history.leaves import canonical, record_published
from bluemap_portal.history.service import STORED_LEVEL
from bluemap_shared.events.catalog import RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.projection_testing import migrated_consumer


def envelopes(n: int) -> list[Envelope[RecordPublished]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for message in stream(n, max(1, n // 10), start):
        event = RecordPublished.model_validate_json(message.value or b"")
        out.append(Envelope(data=event, tenant_id="ipe", source="/bluemap/records", subject=event.subject()))
    return out


def append_cpu(changes: int) -> tuple[float, float]:
    """CPU microseconds per change (process time: the machine is shared): the append's in-memory work, and a bare
    SHA-256 of the same leaf."""
    items = envelopes(changes)
    frontier = merkle.Frontier.empty()
    kept: list[tuple[merkle.Block, bytes]] = []
    leaves: list[bytes] = []

    def keep(block: merkle.Block, node: bytes) -> None:
        if block[0] >= STORED_LEVEL:
            kept.append((block, node))

    began = time.process_time()
    for item in items:
        change = record_published(item)
        salted = change.salted_content()
        leaf = canonical(change.leaf(salted))
        frontier.append(merkle.leaf_hash(leaf), keep)
        leaves.append(leaf)
    append = (time.process_time() - began) / changes * 1e6
    began = time.process_time()
    for leaf in leaves:
        hashlib.sha256(leaf).digest()
    bare = (time.process_time() - began) / changes * 1e6
    return append, bare


async def _no_history(_session: Any, _changes: Any) -> None:
    return None


async def projection(args: argparse.Namespace) -> tuple[float, float]:
    """Events/s of the portal's RecordPublished projection with the history append and without it."""
    admin = args.dsn or admin_dsn()
    databases = {mode: f"bench_history_{mode}_{uuid.uuid4().hex[:8]}" for mode in ("on", "off")}
    for database in databases.values():
        await create_database(admin, database)
    rates: dict[str, list[float]] = {"on": [], "off": []}
    cpus: dict[str, list[float]] = {"on": [], "off": []}
    appending = projections.append_history
    try:
        on_url, off_url = (database_dsns(admin, databases[mode])[1] for mode in ("on", "off"))
        async with (
            migrated_consumer("bluemap_portal", on_url, "public-portal", portal_handlers) as on,
            migrated_consumer("bluemap_portal", off_url, "public-portal", portal_handlers) as off,
        ):
            for round_ in range(args.rounds):
                start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=round_)
                for mode, (consumer, _, _) in (("on", on), ("off", off)):
                    projections.append_history = appending if mode == "on" else _no_history  # type: ignore[assignment]
                    messages = stream(args.events, args.events // 10, start)
                    cpu = time.process_time()
                    seconds = await feed(consumer, messages, args.batch)
                    cpus[mode].append((time.process_time() - cpu) / args.events * 1e6)
                    rates[mode].append(args.events / seconds)
    finally:
        projections.append_history = appending  # type: ignore[assignment]
        for database in databases.values():
            await drop_database(admin, database)
    print(f"   consumer process CPU per event: with history {statistics.median(cpus['on']):.0f} µs, "
          f"without {statistics.median(cpus['off']):.0f} µs")  # fmt: skip
    return statistics.median(rates["on"]), statistics.median(rates["off"])


def leaf_of(i: int) -> bytes:
    return merkle.leaf_hash(i.to_bytes(8, "big"))


def proofs(size: int) -> None:
    """Build a simulated log of size leaves as the portal stores it, then prove and verify at its end."""
    stored: dict[merkle.Block, bytes] = {}

    def keep(block: merkle.Block, node: bytes) -> None:
        if block[0] >= STORED_LEVEL:
            stored[block] = node

    frontier = merkle.Frontier.empty()
    began = time.perf_counter()
    for i in range(size):
        frontier.append(leaf_of(i), keep)
    built = time.perf_counter() - began
    root = frontier.root()
    reads = {"nodes": 0, "leaves": 0}

    def blocks(needed: Any) -> dict[merkle.Block, bytes]:
        out = {}
        for level, index in needed:
            if level >= STORED_LEVEL:
                reads["nodes"] += 1
                out[(level, index)] = stored[(level, index)]
            else:
                reads["leaves"] += 1 << level
                out[(level, index)] = merkle.mth([leaf_of(j) for j in range(index << level, (index + 1) << level)])
        return out

    print(f"\nsimulated log of {size:,} leaves built in {built:.1f} s ({built / size * 1e6:.2f} µs a leaf); "
          f"{len(stored):,} stored subtrees")  # fmt: skip
    print("| proof | hashes | bytes | JSON bytes | stored nodes read | leaf hashes read | ms to build | verified |")
    print("|---|---|---|---|---|---|---|---|")
    for index in sorted({0, size // 2 + 12_345 if size > 30_000 else size // 2, size - 1}):
        reads.update(nodes=0, leaves=0)
        began = time.perf_counter()
        path = merkle.inclusion_proof(index, size, blocks)
        ms = (time.perf_counter() - began) * 1e3
        ok = merkle.verify_inclusion(leaf_of(index), index, size, path, root)
        body = json.dumps({"leaf_index": index, "tree_size": size, "leaf_hash": leaf_of(index).hex(),
                           "audit_path": [h.hex() for h in path]})  # fmt: skip
        print(f"| inclusion of leaf {index:,} | {len(path)} | {32 * len(path)} | {len(body)} | {reads['nodes']} | "
              f"{reads['leaves']} | {ms:.1f} | {ok} |")  # fmt: skip
    for old in sorted({size // 2 + 7, max(1, size - 1_000)}):
        old_root = merkle.root_of(old, blocks)
        reads.update(nodes=0, leaves=0)
        began = time.perf_counter()
        path = merkle.consistency_proof(old, size, blocks)
        ms = (time.perf_counter() - began) * 1e3
        ok = merkle.verify_consistency(old, size, old_root, root, path)
        body = json.dumps({"first": old, "second": size, "consistency_path": [h.hex() for h in path]})
        print(f"| consistency {old:,} → {size:,} | {len(path)} | {32 * len(path)} | {len(body)} | {reads['nodes']} | "
              f"{reads['leaves']} | {ms:.1f} | {ok} |")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=20_000, help="changes appended in memory (part 1)")
    parser.add_argument("--events", type=int, default=5_000, help="RecordPublished a round and mode (part 2)")
    parser.add_argument("--batch", type=int, default=500, help="events per fetched batch (part 2)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=10_000_000, help="entries of the simulated log (part 3)")
    parser.add_argument("--skip-projection", action="store_true", help="no PostgreSQL part")
    parser.add_argument("--dsn", help="PostgreSQL admin DSN (default: deploy/local/servers.sh env)")
    args = parser.parse_args()

    append, bare = append_cpu(args.changes)
    print(f"1. append in memory, {args.changes:,} RecordPublished: {append:.1f} µs a change; "
          f"bare SHA-256 of the leaf: {bare:.2f} µs; ratio {append / bare:.0f}")  # fmt: skip
    if not args.skip_projection:
        on, off = await projection(args)
        print(f"2. portal projection, {args.events:,} RecordPublished a round, batches of {args.batch}, "
              f"median of {args.rounds}: with history {on:,.0f} events/s, without {off:,.0f} events/s; "
              f"ratio {on / off:.2f}")  # fmt: skip
    proofs(args.size)


if __name__ == "__main__":
    asyncio.run(main())
