"""RecordPublished payloads of an import batch, rendered without a pydantic model per record.

A model and its serialisation cost about 15 µs a record; orjson of a dict with the enterprise's
snapshot rendered once per batch costs a few. Every batch checks its first payload against
pydantic's own and falls back to pydantic for the batch when they differ (a field added to the
contract and not here, say), so the payloads stay exactly what the catalog's model writes.
"""

import os
import time
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import orjson
import structlog

from bluemap_records.record_types import RECORD_TYPES
from bluemap_records.records.repository import RECORD_COLUMNS
from bluemap_records.records.service import published_event
from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished

log = structlog.get_logger()

# A stand-in for an event whose payload is rendered later, in its place among the batch's events.
PENDING: tuple[type[RecordPublished], str, bytes] = (RecordPublished, "", b"")
_warned = False


def uuid7_batch(count: int) -> list[UUID]:
    """count version 7 UUIDs of this millisecond, as bluemap_shared.ids.uuid7 makes them, at a fraction of the cost.

    They are asyncpg's UUIDs (a uuid.UUID subclass) where asyncpg is installed: COPY takes their
    bytes as they are, and str() of one is ten times cheaper.
    """
    head = ((time.time_ns() // 1_000_000) & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | 0b10 << 62
    noise = os.urandom(10 * count)
    from_bytes = int.from_bytes
    values = [
        head | ((rand >> 62) & 0xFFF) << 64 | rand & 0x3FFF_FFFF_FFFF_FFFF
        for rand in (from_bytes(noise[at : at + 10], "big") for at in range(0, 10 * count, 10))
    ]
    return [_uuid(value.to_bytes(16, "big")) for value in values]


def _plain_uuid(data: bytes) -> UUID:
    return UUID(bytes=data)


try:
    from asyncpg.pgproto.pgproto import UUID as _uuid  # noqa: N811  # a constructor, used as one
except ImportError:  # pragma: no cover  # SQLite-only installs
    _uuid = _plain_uuid


def publication_payloads(records: Sequence[tuple[Any, ...]], enterprises: Sequence[EnterpriseSnapshot]) -> list[bytes]:
    """The RecordPublished payload of each new record row (RECORD_COLUMNS order) about its enterprise."""
    if not records:
        return []
    rendered: dict[int, orjson.Fragment] = {}
    # Every record of a batch is published at the same moment; pydantic renders it once.
    published_at = orjson.loads(RecordPublished.__pydantic_serializer__.to_json(_model(records[0], enterprises[0])))[
        "published_at"
    ]
    explainable = {name: kind.explainable for name, kind in RECORD_TYPES.items()}
    payloads = []
    fragment, to_json = orjson.Fragment, EnterpriseSnapshot.__pydantic_serializer__.to_json
    # A batch belongs to one import (RECORD_COLUMNS' import_id); its id is rendered once.
    import_id = None if records[0][15] is None else str(records[0][15])

    def dumps(payload: dict[str, Any]) -> bytes:
        # orjson's bytes keep the buffer it wrote them in (4 KB for a payload of 1): a copy is their size.
        return memoryview(orjson.dumps(payload)).tobytes()

    for record, enterprise in zip(records, enterprises, strict=True):
        snapshot = rendered.get(id(enterprise))
        if snapshot is None:
            snapshot = rendered[id(enterprise)] = fragment(to_json(enterprise))
        payloads.append(
            dumps(
                {
                    "record_id": str(record[0]),
                    "enterprise": snapshot,
                    "record_type": record[3],
                    "explainable": explainable[record[3]],
                    "year": record[4],
                    "source_title": record[5],
                    "issuing_authority": record[6],
                    "issued_on": record[7],
                    "source_url": record[8],
                    "summary": record[9],
                    "published_at": published_at,
                    "explanation_due_on": record[12],
                    "import_id": import_id,
                }
            )
        )
    expected = RecordPublished.__pydantic_serializer__.to_json(_model(records[0], enterprises[0]))
    if payloads[0] != expected:
        global _warned
        if not _warned:
            _warned = True
            log.warning("imports.fast_payload_mismatch", fast=payloads[0][:400], expected=expected[:400])
        return [
            RecordPublished.__pydantic_serializer__.to_json(_model(record, enterprise))
            for record, enterprise in zip(records, enterprises, strict=True)
        ]
    return payloads


def _model(record: tuple[Any, ...], enterprise: EnterpriseSnapshot) -> RecordPublished:
    return published_event(SimpleNamespace(**dict(zip(RECORD_COLUMNS, record, strict=True))), enterprise)
