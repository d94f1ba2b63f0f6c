"""API shapes of the history log: hashes are hex, keys and signatures base64."""

from typing import Any

from pydantic import BaseModel, Field


class SignedTreeHead(BaseModel):
    """A signed tree head: the signature is Ed25519 over the RFC 8785 JSON of the other fields (and v)."""

    v: str = Field(description="Version of the signed message, bluemap-tree-head-v1")
    log: str = Field(description="The tenant whose log this is")
    tree_size: int
    root_hash: str = Field(description="RFC 9162 MTH of the first tree_size entries, hex")
    timestamp: int = Field(description="When the head was signed, milliseconds since the epoch")
    key_id: str = Field(description="SHA-256 of the raw Ed25519 public key, hex")
    signature: str = Field(description="Ed25519 signature, base64")


class PublicKey(BaseModel):
    log: str
    algorithm: str = Field(description="Ed25519")
    key_id: str
    public_key: str = Field(description="Raw 32-byte Ed25519 public key, base64")


class HistoryEntry(BaseModel):
    """One public change: leaf is hashed (RFC 8785, SHA-256(0x00 || leaf)); content hashes to leaf.content_sha256."""

    leaf_index: int
    leaf_hash: str
    leaf: dict[str, Any]
    content: dict[str, Any] | None = Field(
        description="The public text the leaf holds the digest of; null when there is none or it was retracted"
    )
    content_withheld: bool = Field(description="The leaf holds a digest whose text was retracted")


class InclusionProofPublic(BaseModel):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str] = Field(description="RFC 9162 PATH, hex, from the leaf's side up")


class ConsistencyProofPublic(BaseModel):
    first: int
    second: int
    consistency_path: list[str] = Field(description="RFC 9162 PROOF, hex")


class ProvenEntry(BaseModel):
    entry: HistoryEntry
    proof: InclusionProofPublic


class RecordHistory(BaseModel):
    """A record's entries, each with its inclusion proof against head."""

    record_id: str
    head: SignedTreeHead | None
    entries: list[ProvenEntry]
