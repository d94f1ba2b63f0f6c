"""Record queries, always scoped by tenant."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Uuid, bindparam, insert, text, tuple_, update
from sqlalchemy.engine import Row
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bluemap_records.records.content import CONTENT_FIELDS
from bluemap_records.records.models import Record, RecordRevision, RecordStatusChange
from bluemap_shared.db import bulk_insert, copy_rows, on_postgres

RECORDS = Record.__table__  # type: ignore[attr-defined]
REVISIONS = RecordRevision.__table__  # type: ignore[attr-defined]
# What an import needs of an existing record to tell created, updated, unchanged and rejected apart.
MATCH_COLUMNS = (
    "id",
    "enterprise_id",
    "record_type",
    "issuing_authority",
    "issued_on",
    "source_title",
    "external_id",
    "content_sha256",
    "revision",
    "status",
    "explanation_due_on",
    "published_at",
    "retracted_at",
)
# The columns of a new record, in the order an import gives them (COPY takes tuples).
RECORD_COLUMNS = (
    "id",
    "tenant_id",
    "enterprise_id",
    "record_type",
    "year",
    "source_title",
    "issuing_authority",
    "issued_on",
    "source_url",
    "summary",
    "external_id",
    "status",
    "explanation_due_on",
    "revision",
    "provenance",
    "import_id",
    "received_at",
    "content_sha256",
    "published_at",
    "published_by",
    "updated_at",
    "retracted_at",
    "retraction_reason",
)
_SQLITE_CHUNK = 400  # row-value IN lists stay well below SQLite's variable limit


@dataclass(frozen=True)
class RecordFilter:
    """What a list asks for; None means any."""

    enterprise_id: UUID | None = None
    record_type: str | None = None
    year: int | None = None
    status: str | None = None
    issuing_authority: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None


class RecordRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, record_id: UUID, *, for_update: bool = False) -> Record | None:
        query = select(Record).where(Record.tenant_id == tenant_id, Record.id == record_id)
        if for_update:
            query = query.with_for_update()
        result = await self.session.exec(query)
        return result.first()

    @staticmethod
    def list_query(
        tenant_id: str, where: RecordFilter, *, after: tuple[date, UUID] | None, limit: int
    ) -> SelectOfScalar[Record]:
        """Records not retracted, newest issue first; keyset pagination on (issued_on, id).

        With an enterprise and a type this is the enterprise page, answered by ix_records_enterprise_page.
        """
        query = select(Record).where(Record.tenant_id == tenant_id, col(Record.retracted_at).is_(None))
        if where.enterprise_id is not None:
            query = query.where(Record.enterprise_id == where.enterprise_id)
        if where.record_type is not None:
            query = query.where(Record.record_type == where.record_type)
        if where.year is not None:
            query = query.where(Record.year == where.year)
        if where.status is not None:
            query = query.where(Record.status == where.status)
        if where.issuing_authority is not None:
            query = query.where(Record.issuing_authority == where.issuing_authority)
        if where.issued_from is not None:
            query = query.where(col(Record.issued_on) >= where.issued_from)
        if where.issued_to is not None:
            query = query.where(col(Record.issued_on) <= where.issued_to)
        if after is not None:
            query = query.where(tuple_(col(Record.issued_on), col(Record.id)) < tuple_(*after))
        return query.order_by(col(Record.issued_on).desc(), col(Record.id).desc()).limit(limit)

    async def find(
        self, tenant_id: str, where: RecordFilter, *, after: tuple[date, UUID] | None, limit: int
    ) -> Sequence[Record]:
        result = await self.session.exec(self.list_query(tenant_id, where, after=after, limit=limit))
        return result.all()

    async def status_history(self, tenant_id: str, record_id: UUID) -> Sequence[RecordStatusChange]:
        result = await self.session.exec(
            select(RecordStatusChange)
            .where(RecordStatusChange.tenant_id == tenant_id, RecordStatusChange.record_id == record_id)
            .order_by(col(RecordStatusChange.id))
        )
        return result.all()

    async def revisions(self, tenant_id: str, record_id: UUID) -> Sequence[RecordRevision]:
        result = await self.session.exec(
            select(RecordRevision)
            .where(RecordRevision.tenant_id == tenant_id, RecordRevision.record_id == record_id)
            .order_by(col(RecordRevision.revision))
        )
        return result.all()

    def add(self, record: Record) -> None:
        self.session.add(record)

    def add_status_change(self, change: RecordStatusChange) -> None:
        self.session.add(change)

    def add_revision(self, revision: RecordRevision) -> None:
        self.session.add(revision)

    # Bulk import: a batch of thousands of rows in a handful of statements.

    async def match_external_ids(self, tenant_id: str, keys: Sequence[tuple[str, str]]) -> list[Row[Any]]:
        """Records (retracted ones too) with these (issuing_authority, external_id)."""
        if not keys:
            return []
        if on_postgres(self.session):
            return await self._match_unnest(
                tenant_id,
                keys,
                ("issuing_authority", "external_id"),
                ("varchar", "varchar"),
                "r.external_id IS NOT NULL",
            )
        return await self._match_in(
            tenant_id,
            keys,
            (RECORDS.c.issuing_authority, RECORDS.c.external_id),
            RECORDS.c.external_id.is_not(None),
        )

    async def match_natural_keys(
        self, tenant_id: str, keys: Sequence[tuple[UUID, str, str, date, str]]
    ) -> list[Row[Any]]:
        """Records without external id matching (enterprise, type, authority, issued_on, source_title) keys."""
        if not keys:
            return []
        names = ("enterprise_id", "record_type", "issuing_authority", "issued_on", "source_title")
        if on_postgres(self.session):
            return await self._match_unnest(
                tenant_id, keys, names, ("uuid", "varchar", "varchar", "date", "varchar"), "r.external_id IS NULL"
            )
        return await self._match_in(
            tenant_id, keys, tuple(RECORDS.c[n] for n in names), RECORDS.c.external_id.is_(None)
        )

    async def _match_unnest(
        self,
        tenant_id: str,
        keys: Sequence[tuple[Any, ...]],
        names: Sequence[str],
        types: Sequence[str],
        condition: str,
    ) -> list[Row[Any]]:
        # One array parameter per key column: a constant-size statement however large the batch.
        # LATERAL with LIMIT 1 makes every key one probe of the unique index; a plain join lets
        # the planner sort the whole table for a merge join, which grows with every import.
        arrays = ", ".join(f"CAST(:k{i} AS {t}[])" for i, t in enumerate(types))
        on = " AND ".join(f"r.{n} = k.{n}" for n in names)
        columns = ", ".join(f"r.{c}" for c in MATCH_COLUMNS)
        # Every name in the statement is a constant of this module; the values are parameters.
        statement = (
            f"SELECT m.* FROM unnest({arrays}) AS k({', '.join(names)}) CROSS JOIN LATERAL "  # noqa: S608
            f"(SELECT {columns} FROM records r WHERE r.tenant_id = :tenant_id AND {on} AND {condition} LIMIT 1) m"
        )
        sql = text(statement).columns(*(RECORDS.c[c] for c in MATCH_COLUMNS))
        params: dict[str, Any] = {"tenant_id": tenant_id}
        for i, column in enumerate(zip(*keys, strict=True)):
            params[f"k{i}"] = list(column)
        result = await (await self.session.connection()).execute(sql, params)
        return list(result.all())

    async def _match_in(
        self, tenant_id: str, keys: Sequence[tuple[Any, ...]], columns: Sequence[Any], condition: Any
    ) -> list[Row[Any]]:
        found: list[Row[Any]] = []
        selected = [RECORDS.c[c] for c in MATCH_COLUMNS]
        for start in range(0, len(keys), _SQLITE_CHUNK):
            chunk = keys[start : start + _SQLITE_CHUNK]
            result = await self.session.exec(
                select(*selected).where(RECORDS.c.tenant_id == tenant_id, condition, tuple_(*columns).in_(chunk))
            )
            found.extend(result.all())
        return found

    async def insert_records(self, rows: Sequence[dict[str, Any]]) -> None:
        await bulk_insert(self.session, RECORDS, rows)

    async def insert_record_rows(self, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert records given as tuples in columns' order (COPY on PostgreSQL)."""
        await copy_rows(self.session, RECORDS, columns, rows)

    async def archive_contents(self, tenant_id: str, record_ids: Sequence[UUID], superseded_at: datetime) -> None:
        """Copy the current content of records into record_revisions, before it is overwritten."""
        if not record_ids:
            return
        kept = ("record_id", "tenant_id", "revision", *CONTENT_FIELDS, "content_sha256", "provenance", "import_id")
        selected = [
            RECORDS.c.id,
            RECORDS.c.tenant_id,
            RECORDS.c.revision,
            *(RECORDS.c[f] for f in CONTENT_FIELDS),
            RECORDS.c.content_sha256,
            RECORDS.c.provenance,
            RECORDS.c.import_id,
            RECORDS.c.received_at,
            bindparam("superseded_at", superseded_at, type_=REVISIONS.c.superseded_at.type),
        ]
        source = select(*selected).where(RECORDS.c.tenant_id == tenant_id, RECORDS.c.id.in_(list(record_ids)))
        await self.session.exec(insert(REVISIONS).from_select([*kept, "received_at", "superseded_at"], source))

    async def update_contents(self, tenant_id: str, changes: Sequence[dict[str, Any]]) -> None:
        """Overwrite content, fingerprint, provenance and revision of records by id."""
        if not changes:
            return
        values: dict[str, Any] = {f: bindparam(f"b_{f}", type_=RECORDS.c[f].type) for f in changes[0] if f != "id"}
        stmt = (
            update(RECORDS)
            .where(RECORDS.c.tenant_id == tenant_id, RECORDS.c.id == bindparam("b_id", type_=Uuid()))
            .values(**values)
        )
        await self.session.exec(stmt, params=[{f"b_{k}": v for k, v in change.items()} for change in changes])
