"""Public API of the history log: signed heads, the public key, entries, inclusion and consistency proofs."""

from uuid import UUID

from fastapi import APIRouter, Path, Query, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.history import service
from bluemap_portal.history.models import HistoryHead, HistoryLeaf
from bluemap_portal.history.schemas import (
    ConsistencyProofPublic,
    HistoryEntry,
    InclusionProofPublic,
    ProvenEntry,
    PublicKey,
    RecordHistory,
    SignedTreeHead,
)
from bluemap_portal.history.signing import ALGORITHM, SigningKeys, b64
from bluemap_portal.tenancy import TenantDep
from bluemap_shared.problems import InvalidInput, NotFound
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/history", tags=["history"])

MAX_ENTRIES = 1000
HASH_PATTERN = r"^[0-9a-fA-F]{64}$"


def signing_keys(request: Request) -> SigningKeys:
    """The process's signing keys (bootstrap puts them on the API app)."""
    keys: SigningKeys = request.app.state.history_keys
    return keys


def head_public(head: HistoryHead) -> SignedTreeHead:
    return SignedTreeHead(
        v=service.HEAD_VERSION,
        log=head.tenant_id,
        tree_size=head.tree_size,
        root_hash=head.root_hash.hex(),
        timestamp=head.timestamp,
        key_id=head.key_id,
        signature=b64(head.signature),
    )


def entry_public(leaf: HistoryLeaf) -> HistoryEntry:
    body = service.parsed(leaf.leaf)
    return HistoryEntry(
        leaf_index=leaf.leaf_index,
        leaf_hash=leaf.leaf_hash.hex(),
        leaf=body,
        content=service.parsed(leaf.content),
        content_withheld=leaf.content is None and "content_sha256" in body,
    )


def proof_public(proof: service.InclusionProof) -> InclusionProofPublic:
    return InclusionProofPublic(
        leaf_index=proof.leaf_index,
        tree_size=proof.tree_size,
        leaf_hash=proof.leaf_hash.hex(),
        audit_path=[h.hex() for h in proof.audit_path],
    )


@router.get("/head", response_model=SignedTreeHead, responses={404: {"description": "No head published yet"}})
async def latest_head(session: SessionDep, tenant_id: TenantDep) -> SignedTreeHead:
    """The latest signed tree head of the tenant's log (signed periodically while the log grows)."""
    return head_public(await service.latest_head(session, tenant_id))


@router.get("/heads/{tree_size}", response_model=SignedTreeHead, responses={404: {"description": "No such head"}})
async def head_of_size(
    session: SessionDep, tenant_id: TenantDep, tree_size: int = Path(ge=0, le=2**62)
) -> SignedTreeHead:
    """The signed head published at this tree size."""
    return head_public(await service.head_of_size(session, tenant_id, tree_size))


@router.get("/public-key", response_model=PublicKey, responses={404: {"description": "No key yet"}})
async def public_key(request: Request, session: SessionDep, tenant_id: TenantDep) -> PublicKey:
    """The Ed25519 key the tenant's tree heads are signed with."""
    row = await signing_keys(request).public_key(session, tenant_id)
    if row is None:
        raise NotFound("No tree head has been signed yet.")
    return PublicKey(log=tenant_id, algorithm=ALGORITHM, key_id=row.key_id, public_key=b64(row.public_key))


@router.get("/entries", response_model=list[HistoryEntry])
async def list_entries(
    session: SessionDep,
    tenant_id: TenantDep,
    start: int = Query(default=0, ge=0, le=2**62),
    end: int | None = Query(default=None, ge=1, le=2**62, description=f"Exclusive; at most {MAX_ENTRIES} after start"),
) -> list[HistoryEntry]:
    """Entries start..end-1 of the log, in order."""
    end = end if end is not None else start + MAX_ENTRIES
    if end - start > MAX_ENTRIES:
        raise InvalidInput(f"At most {MAX_ENTRIES} entries at a time.", start=start, end=end)
    return [entry_public(leaf) for leaf in await service.entries(session, tenant_id, start, end)]


@router.get("/entries/{leaf_index}", response_model=HistoryEntry, responses={404: {"description": "No such entry"}})
async def get_entry(session: SessionDep, tenant_id: TenantDep, leaf_index: int = Path(ge=0, le=2**62)) -> HistoryEntry:
    leaves = await service.entries(session, tenant_id, leaf_index, leaf_index + 1)
    if not leaves:
        raise NotFound("No such entry.")
    return entry_public(leaves[0])


@router.get(
    "/proofs/inclusion",
    response_model=InclusionProofPublic,
    responses={404: {"description": "No such entry or no head yet"}, 422: {"description": "Bad index or size"}},
)
async def inclusion_proof(
    session: SessionDep,
    tenant_id: TenantDep,
    leaf_index: int | None = Query(default=None, ge=0, le=2**62),
    leaf_hash: str | None = Query(default=None, pattern=HASH_PATTERN, description="Hex"),
    tree_size: int | None = Query(default=None, ge=1, le=2**62, description="Default: the latest head's"),
) -> InclusionProofPublic:
    """RFC 9162 inclusion proof of an entry, by leaf index or leaf hash."""
    if (leaf_index is None) == (leaf_hash is None):
        raise InvalidInput("Give exactly one of leaf_index and leaf_hash.")
    proof = await service.inclusion_proof(
        session,
        tenant_id,
        leaf_index=leaf_index,
        leaf_hash=bytes.fromhex(leaf_hash) if leaf_hash else None,
        tree_size=tree_size,
    )
    return proof_public(proof)


@router.get(
    "/proofs/consistency",
    response_model=ConsistencyProofPublic,
    responses={404: {"description": "No head yet"}, 422: {"description": "Bad sizes"}},
)
async def consistency_proof(
    session: SessionDep,
    tenant_id: TenantDep,
    first: int = Query(ge=0, le=2**62),
    second: int | None = Query(default=None, ge=0, le=2**62, description="Default: the latest head's size"),
) -> ConsistencyProofPublic:
    """RFC 9162 consistency proof between the trees of first and second entries."""
    size, proof = await service.consistency_proof(session, tenant_id, first, second)
    return ConsistencyProofPublic(first=first, second=size, consistency_path=[h.hex() for h in proof])


async def record_history(session: AsyncSession, tenant_id: str, record_id: UUID) -> RecordHistory:
    """The record's entries with their inclusion proofs against the latest head (those the head covers)."""
    try:
        head = await service.latest_head(session, tenant_id)
    except NotFound:
        head = None
    proven = []
    for leaf in await service.of_record(session, tenant_id, record_id):
        if head is None or leaf.leaf_index >= head.tree_size:
            continue
        proof = await service.inclusion_proof(
            session, tenant_id, leaf_index=leaf.leaf_index, leaf_hash=None, tree_size=head.tree_size
        )
        proven.append(ProvenEntry(entry=entry_public(leaf), proof=proof_public(proof)))
    return RecordHistory(record_id=str(record_id), head=head_public(head) if head else None, entries=proven)


@router.get("/records/{record_id}", response_model=RecordHistory)
async def get_record_history(record_id: UUID, session: SessionDep, tenant_id: TenantDep) -> RecordHistory:
    """A record's entries (its own, its explanations', its documents') with inclusion proofs against the latest head."""
    return await record_history(session, tenant_id, record_id)
