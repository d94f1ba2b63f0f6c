"""The history log's tables: leaves, the stored part of the tree, signed heads and the signing keys."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, Column, Index, LargeBinary, SmallInteger, Text
from sqlmodel import Field, SQLModel

from bluemap_shared.db import UTCDateTime


class HistoryLeaf(SQLModel, table=True):
    """One public change, appended at leaf_index of its tenant's log; leaf is the RFC 8785 JSON that is hashed."""

    __tablename__ = "portal_history_leaves"
    __table_args__ = (
        # A record's history page: its entries in log order.
        Index("ix_portal_history_leaves_record", "tenant_id", "record_id", "leaf_index"),
        # Inclusion proof by leaf hash.
        Index("ix_portal_history_leaves_hash", "tenant_id", "leaf_hash"),
    )

    tenant_id: str = Field(max_length=64, primary_key=True)
    leaf_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    kind: str = Field(max_length=40)
    # The record the change is about (its explanations' too); documents list theirs in HistoryRecordLink.
    record_id: UUID | None = None
    leaf: str = Field(sa_column=Column(Text, nullable=False))
    # The public text the leaf holds the digest of (RFC 8785 JSON); NULL once the record is retracted.
    content: str | None = Field(default=None, sa_column=Column(Text))
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class HistoryRecordLink(SQLModel, table=True):
    """A leaf about several records (a document): each record's history page lists it."""

    __tablename__ = "portal_history_record_links"

    tenant_id: str = Field(max_length=64, primary_key=True)
    record_id: UUID = Field(primary_key=True)
    leaf_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))


class HistoryTree(SQLModel, table=True):
    """A tenant's log as of its last append: its size and frontier (the compact range), locked by appends."""

    __tablename__ = "portal_history_trees"

    tenant_id: str = Field(max_length=64, primary_key=True)
    size: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    frontier: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class HistoryNode(SQLModel, table=True):
    """The hash of a complete subtree of 2**level leaves from index * 2**level; only the larger ones are kept."""

    __tablename__ = "portal_history_nodes"

    tenant_id: str = Field(max_length=64, primary_key=True)
    level: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class HistoryHead(SQLModel, table=True):
    """A signed tree head (STH) the portal published."""

    __tablename__ = "portal_history_heads"

    tenant_id: str = Field(max_length=64, primary_key=True)
    tree_size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    timestamp: int = Field(sa_column=Column(BigInteger, nullable=False), description="Milliseconds since the epoch")
    key_id: str = Field(max_length=64)
    signature: bytes = Field(sa_column=Column(LargeBinary(64), nullable=False))


class HistorySigningKey(SQLModel, table=True):
    """A tenant's Ed25519 key: PKCS#8 PEM, encrypted with the configured secret when there is one."""

    __tablename__ = "portal_history_keys"

    tenant_id: str = Field(max_length=64, primary_key=True)
    key_id: str = Field(max_length=64, description="SHA-256 of the raw public key, hex")
    public_key: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    private_key_pem: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    encrypted: bool
    created_at: datetime = Field(sa_type=UTCDateTime)
