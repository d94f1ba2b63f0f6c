"""`python -m bluemap_portal verify-history URL [--saved-head FILE]`: audit a portal's public history log.

Checks the latest signed tree head against the published key, that every entry hashes to its leaf hash
(and its text, where shown, to its leaf's digest), every entry's inclusion proof, that the entries make
the head's root, and, given a head saved earlier, the consistency proof from it. The head seen is saved to
FILE afterwards, so the next run checks that the log only grew. Exits 1 on any failure.
"""

import argparse
import asyncio
import base64
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bluemap_portal.history import merkle
from bluemap_portal.history.leaves import canonical_reference, content_digest
from bluemap_portal.history.service import head_message
from bluemap_portal.history.signing import key_id_of, verify_signature

PAGE = 1000


@dataclass
class Verdict:
    """What a run found: problems (empty when the log verified) and what was checked."""

    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    head: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def head_signature_holds(head: dict[str, Any], public_key: bytes) -> bool:
    """Whether the head's Ed25519 signature by public_key holds over its fields."""
    if head.get("key_id") != key_id_of(public_key):
        return False
    message = head_message(
        head["log"], head["tree_size"], bytes.fromhex(head["root_hash"]), head["timestamp"], head["key_id"]
    )
    return verify_signature(public_key, message, base64.b64decode(head["signature"]))


async def verify_history(client: httpx.AsyncClient, saved_head: dict[str, Any] | None = None) -> Verdict:
    """Audit the log the client's base URL (the portal's API) serves."""
    verdict = Verdict()
    key = (await client.get("/v1/history/public-key")).raise_for_status().json()
    public_key = base64.b64decode(key["public_key"])
    head = (await client.get("/v1/history/head")).raise_for_status().json()
    verdict.head = head
    size, root = head["tree_size"], bytes.fromhex(head["root_hash"])
    if not head_signature_holds(head, public_key):
        verdict.problems.append(f"the signature of the head of size {size} does not hold")
    else:
        verdict.checked.append(f"head of size {size} signed by key {head['key_id'][:16]}")

    frontier = merkle.Frontier.empty()
    for start in range(0, size, PAGE):
        end = min(size, start + PAGE)
        entries = (await client.get("/v1/history/entries", params={"start": start, "end": end})).raise_for_status()
        for entry in entries.json():
            await _check_entry(client, entry, size, root, verdict)
            frontier.append(bytes.fromhex(entry["leaf_hash"]))
    if frontier.size != size:
        verdict.problems.append(f"the log served {frontier.size} entries for a head of {size}")
    elif frontier.root() != root:
        verdict.problems.append("the entries do not make the head's root hash")
    else:
        verdict.checked.append(f"{size} entries make the head's root and each has a valid inclusion proof")

    if saved_head is not None:
        await _check_consistency(client, saved_head, head, public_key, verdict)
    return verdict


async def _check_entry(
    client: httpx.AsyncClient, entry: dict[str, Any], size: int, root: bytes, verdict: Verdict
) -> None:
    index = entry["leaf_index"]
    leaf_hash = merkle.leaf_hash(canonical_reference(entry["leaf"]))
    if leaf_hash.hex() != entry["leaf_hash"]:
        verdict.problems.append(f"entry {index}: its leaf does not hash to its leaf hash")
    content = entry.get("content")
    if content is not None and content_digest(content) != entry["leaf"].get("content_sha256"):
        verdict.problems.append(f"entry {index}: its text does not match the digest in its leaf")
    proof = await client.get("/v1/history/proofs/inclusion", params={"leaf_index": index, "tree_size": size})
    path = [bytes.fromhex(h) for h in proof.raise_for_status().json()["audit_path"]]
    if not merkle.verify_inclusion(leaf_hash, index, size, path, root):
        verdict.problems.append(f"entry {index}: its inclusion proof does not hold")


async def _check_consistency(
    client: httpx.AsyncClient, saved: dict[str, Any], head: dict[str, Any], public_key: bytes, verdict: Verdict
) -> None:
    first, second = saved["tree_size"], head["tree_size"]
    if not head_signature_holds(saved, public_key):
        verdict.problems.append(f"the saved head of size {first} is not signed by the log's key")
        return
    if first > second:
        verdict.problems.append(f"the log shrank from {first} to {second} entries")
        return
    answer = await client.get("/v1/history/proofs/consistency", params={"first": first, "second": second})
    proof = [bytes.fromhex(h) for h in answer.raise_for_status().json()["consistency_path"]]
    old_root, new_root = bytes.fromhex(saved["root_hash"]), bytes.fromhex(head["root_hash"])
    if merkle.verify_consistency(first, second, old_root, new_root, proof):
        verdict.checked.append(f"the head of size {second} extends the saved head of size {first}")
    else:
        verdict.problems.append(f"the head of size {second} is not consistent with the saved head of size {first}")


async def _run(url: str, saved: dict[str, Any] | None) -> Verdict:
    async with httpx.AsyncClient(base_url=url.rstrip("/"), timeout=30.0) as client:
        return await verify_history(client, saved)


def main(argv: list[str]) -> int:
    """The command: 0 when the log verified, 1 when anything failed (each failure printed)."""
    parser = argparse.ArgumentParser(prog="bluemap-portal verify-history", description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the portal's API, e.g. https://map.example.org/api/public-portal")
    parser.add_argument("--saved-head", type=Path, help="a head saved by an earlier run; the new head is saved there")
    args = parser.parse_args(argv)
    saved_head: Path | None = args.saved_head
    try:
        saved = json.loads(saved_head.read_text()) if saved_head is not None and saved_head.exists() else None
        verdict = asyncio.run(_run(args.url, saved))
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        print(f"FAILED: could not read the log: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for line in verdict.checked:
        print(f"ok: {line}")
    for line in verdict.problems:
        print(f"FAILED: {line}", file=sys.stderr)
    if verdict.ok and saved_head is not None and verdict.head is not None:
        saved_head.write_text(json.dumps(verdict.head, indent=2) + "\n")
        print(f"ok: saved the head of size {verdict.head['tree_size']} to {saved_head}")
    return 0 if verdict.ok else 1
