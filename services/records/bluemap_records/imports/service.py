"""Bulk import of records: a file read in batches, each batch one transaction of bulk statements.

An import owns its transactions, unlike a request: each batch commits on its own, so memory stays
constant however large the file, and a row is either fully written (enterprise, record, outbox
event) or rejected. Reading and validating the next batch runs in a worker thread while the
database writes the current one.
"""

import asyncio
import contextlib
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.deadlines import explanation_deadline
from bluemap_records.enterprises.repository import EnterpriseRepository
from bluemap_records.imports.batches import Batch, BatchReader, ProcessBatchReader, reader_for
from bluemap_records.imports.events import PENDING as _PENDING
from bluemap_records.imports.events import publication_payloads, uuid7_batch
from bluemap_records.imports.models import RecordImport
from bluemap_records.imports.parsing import ImportFile, RowProblem, SourceRow
from bluemap_records.imports.repository import ImportRepository
from bluemap_records.imports.validation import Identity, ValidRow
from bluemap_records.record_types import RECORD_TYPES
from bluemap_records.records.content import CONTENT_FIELDS
from bluemap_records.records.lifecycle import initial_status
from bluemap_records.records.repository import RECORD_COLUMNS, RecordRepository
from bluemap_records.records.service import updated_event as record_updated_event
from bluemap_shared.db import SessionMaker, on_postgres, utcnow
from bluemap_shared.events.catalog import EnterpriseRegistered, EnterpriseSnapshot, EnterpriseUpdated, RecordPublished
from bluemap_shared.events.envelope import IntegrationEvent
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging import emit_batch
from bluemap_shared.metrics import ServiceMetrics

__all__ = ["Batch", "BatchReader", "BatchWriter", "Counts", "Importer", "ProcessBatchReader"]

log = structlog.get_logger()

DEFAULT_BATCH_SIZE = 5000
# Batches written at once, on PostgreSQL: while one waits for the database, the other's Python runs.
WRITERS = 2
# On a stop, batches being written get this long to commit before they are cancelled.
WRITER_GRACE = 30.0
_ATTEMPTS = 3
_DEADLOCK = "40P01"


_LZ4_TOAST = text("SET LOCAL default_toast_compression = lz4")


class _Race(Exception):
    """Another import wrote what this batch was about to: redo the batch against what is there now."""


@dataclass
class Counts:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def add(self, other: "Counts") -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class _Said:
    """What a batch says of one enterprise."""

    name: str
    name_en: str | None
    region_code: str | None
    emails: list[str]


def _merge_enterprises(rows: list[ValidRow]) -> dict[str, _Said]:
    """Per USCC: the last row's names and region (where it gives them), every address in file order."""
    merged: dict[str, _Said] = {}
    for row in rows:
        fields = row.enterprise
        said = merged.get(row.uscc)
        if said is None:
            said = merged[row.uscc] = _Said(fields.name, fields.name_en, fields.region_code, [])
        else:
            said.name = fields.name
            said.name_en = fields.name_en if fields.name_en is not None else said.name_en
            said.region_code = fields.region_code if fields.region_code is not None else said.region_code
        if fields.email is not None and fields.email not in said.emails:
            said.emails.append(fields.email)
    return merged


def _snapshot(enterprise: Any) -> EnterpriseSnapshot:
    """snapshot() without validating again what was validated on the way in (addresses cost ~0.1 ms each)."""
    return EnterpriseSnapshot.model_construct(
        enterprise_id=enterprise.id,
        uscc=enterprise.uscc,
        name=enterprise.name,
        name_en=enterprise.name_en,
        region_code=enterprise.region_code,
        registered_emails=list(enterprise.registered_emails),
    )


class BatchWriter:
    """Writes one batch in the caller's transaction: enterprises, records, revisions, outbox."""

    def __init__(self, session: AsyncSession, *, tenant_id: str, import_id: UUID, actor: str) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.import_id = import_id
        self.actor = actor
        self.enterprises = EnterpriseRepository(session)
        self.records = RecordRepository(session)
        # (event class, subject, JSON payload) of every event of the batch, in order.
        self.events: list[tuple[type[IntegrationEvent], str, bytes]] = []

    async def write(self, batch: Batch) -> tuple[Counts, list[tuple[SourceRow | ValidRow, list[RowProblem]]]]:
        now = utcnow()
        counts = Counts(rows=batch.size)
        rejected = list(batch.rejected)
        if batch.valid:
            snapshots, registered = await self._upsert_enterprises(batch.valid, now)
            await self._write_records(batch.valid, snapshots, registered, now, counts, rejected)
        counts.rejected = len(rejected)
        # One outbox row per event type (emit_batch takes one), in the order the batch's events
        # come: enterprises before the records about them. A record occurs once in a batch, so no
        # key's events change order.
        by_type: dict[type[IntegrationEvent], list[tuple[type[IntegrationEvent], str, bytes]]] = {}
        for event in self.events:
            by_type.setdefault(event[0], []).append(event)
        if by_type and on_postgres(self.session):
            # A batch row holds megabytes of JSON: lz4 compresses it for a fraction of the CPU that
            # PostgreSQL's default (pglz) takes, which was a quarter of the import's database time.
            await self.session.execute(_LZ4_TOAST)
        for events in by_type.values():
            await emit_batch(self.session, events, tenant_id=self.tenant_id)
        return counts, rejected

    def _add_event(self, event: IntegrationEvent) -> None:
        self.events.append((type(event), event.subject(), event.__pydantic_serializer__.to_json(event)))

    async def _upsert_enterprises(
        self, rows: list[ValidRow], now: datetime
    ) -> tuple[dict[str, tuple[UUID, EnterpriseSnapshot]], set[str]]:
        """Register the enterprises the directory lacks, update those the rows change.

        Their snapshots by USCC, and the USCCs registered by this batch.
        """
        merged = _merge_enterprises(rows)
        existing = await self.enterprises.for_import(self.tenant_id, list(merged))
        new_rows: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        updated: list[str] = []
        current: dict[str, Any] = {}
        for uscc, fields in merged.items():
            emails = fields.emails
            row = existing.get(uscc)
            if row is None:
                values = {
                    "id": uuid7(),
                    "tenant_id": self.tenant_id,
                    "uscc": uscc,
                    "name": fields.name,
                    "name_en": fields.name_en,
                    "region_code": fields.region_code,
                    "industry": None,
                    "registered_emails": emails,
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
                new_rows.append(values)
                current[uscc] = SimpleNamespace(**values)
                continue
            # An import adds what it knows and never clears what it does not say.
            known_emails = list(row.registered_emails)
            values = {
                "name": fields.name,
                "name_en": fields.name_en if fields.name_en is not None else row.name_en,
                "region_code": fields.region_code if fields.region_code is not None else row.region_code,
                "registered_emails": known_emails + [e for e in emails if e not in known_emails],
            }
            if any(values[k] != getattr(row, k) for k in values):
                changes.append({"id": row.id, **values, "updated_at": now})
                updated.append(uscc)
                current[uscc] = SimpleNamespace(**{**row._asdict(), **values})
            else:
                current[uscc] = row
        if new_rows:
            inserted = await self.enterprises.insert_new(new_rows)
            if len(inserted) != len(new_rows):
                raise _Race("an enterprise was registered meanwhile")
        await self.enterprises.update_many(self.tenant_id, changes)
        snapshots = {uscc: _snapshot(e) for uscc, e in current.items()}
        for r in new_rows:
            self._add_event(EnterpriseRegistered(enterprise=snapshots[r["uscc"]]))
        for uscc in updated:
            changed = current[uscc]
            self._add_event(
                EnterpriseUpdated(enterprise=snapshots[uscc], industry=changed.industry, status=changed.status)
            )
        return {uscc: (e.id, snapshots[uscc]) for uscc, e in current.items()}, {r["uscc"] for r in new_rows}

    async def _match(
        self, rows: list[ValidRow], enterprise_of: dict[str, UUID], registered: set[str]
    ) -> dict[Identity, Any]:
        """The existing records the rows are about, by identity."""
        by_external = [r for r in rows if r.content.external_id is not None]
        # An enterprise this transaction registered has no records yet: nothing to look up for it.
        by_content = [r for r in rows if r.content.external_id is None and r.uscc not in registered]
        matches: dict[Identity, Any] = {}
        for found in await self.records.match_external_ids(
            self.tenant_id, [(r.content.issuing_authority, r.content.external_id or "") for r in by_external]
        ):
            matches[("external", found.issuing_authority, found.external_id)] = found
        natural = {
            (
                enterprise_of[r.uscc],
                r.content.record_type,
                r.content.issuing_authority,
                r.content.issued_on,
                r.content.source_title,
            ): r
            for r in by_content
        }
        for found in await self.records.match_natural_keys(self.tenant_id, list(natural)):
            key = (found.enterprise_id, found.record_type, found.issuing_authority, found.issued_on, found.source_title)
            matches[natural[key].identity] = found
        return matches

    async def _write_records(
        self,
        rows: list[ValidRow],
        snapshots: dict[str, tuple[UUID, EnterpriseSnapshot]],
        registered: set[str],
        now: datetime,
        counts: Counts,
        rejected: list[tuple[SourceRow | ValidRow, list[RowProblem]]],
    ) -> None:
        enterprise_of = {uscc: enterprise_id for uscc, (enterprise_id, _) in snapshots.items()}
        matches = await self._match(rows, enterprise_of, registered)
        deadline = explanation_deadline(now)
        statuses = {explainable: initial_status(explainable).value for explainable in (False, True)}
        tenant_id, import_id, actor = self.tenant_id, self.import_id, self.actor
        ids = iter(uuid7_batch(len(rows)))  # a few too many when rows match: cheaper than counting
        new_records: list[tuple[Any, ...]] = []
        created_of: list[EnterpriseSnapshot] = []
        published_at: list[int] = []  # where each new record's event goes among the batch's events
        changes: list[dict[str, Any]] = []
        for row in rows:
            enterprise_id, enterprise = snapshots[row.uscc]
            content = row.content
            explainable = RECORD_TYPES[content.record_type].explainable
            match = matches.get(row.identity)
            if match is None:
                # In RECORD_COLUMNS order, for COPY.
                new_records.append(
                    (
                        next(ids),
                        tenant_id,
                        enterprise_id,
                        content.record_type,
                        content.year,
                        content.source_title,
                        content.issuing_authority,
                        content.issued_on,
                        content.source_url,
                        content.summary,
                        content.external_id,
                        statuses[explainable],
                        deadline if explainable else None,
                        1,
                        "import",
                        import_id,
                        now,
                        row.sha256,
                        now,
                        actor,
                        now,
                        None,
                        None,
                    )
                )
                created_of.append(enterprise)
                published_at.append(len(self.events))
                self.events.append(_PENDING)
                counts.created += 1
                continue
            found = match
            if found.enterprise_id != enterprise_id:
                reason = f"this external_id of this authority is another enterprise's record ({found.id})"
                rejected.append((row, [RowProblem("uscc", reason)]))
            elif found.content_sha256 == row.sha256:
                counts.unchanged += 1
            elif found.retracted_at is not None:
                reason = f"record {found.id} was retracted; a retracted record is not imported again"
                rejected.append((row, [RowProblem("", reason)]))
            elif RECORD_TYPES[found.record_type].explainable != explainable:
                reason = (
                    f"{found.record_type} to {content.record_type} changes whether the enterprise must explain; "
                    f"retract record {found.id} and import it as a new one"
                )
                rejected.append((row, [RowProblem("record_type", reason)]))
            else:
                change = {
                    "id": found.id,
                    **{name: getattr(content, name) for name in CONTENT_FIELDS},
                    "content_sha256": row.sha256,
                    "revision": found.revision + 1,
                    "provenance": "import",
                    "import_id": self.import_id,
                    "received_at": now,
                    "updated_at": now,
                }
                changes.append(change)
                view = SimpleNamespace(**change, explanation_due_on=found.explanation_due_on)
                self._add_event(record_updated_event(view, enterprise))
                counts.updated += 1
        # The payloads are rendered in a thread while the database writes the records and their
        # history, which leaves this thread waiting: the two overlap instead of taking turns.
        rendering = asyncio.ensure_future(asyncio.to_thread(publication_payloads, new_records, created_of))
        try:
            await self.records.insert_record_rows(RECORD_COLUMNS, new_records)
            await self.records.archive_contents(self.tenant_id, [c["id"] for c in changes], now)
            await self.records.update_contents(self.tenant_id, changes)
        finally:
            payloads = await rendering
        for at, record, payload in zip(published_at, new_records, payloads, strict=True):
            self.events[at] = (RecordPublished, str(record[0]), payload)


async def _settle(writers: list[asyncio.Future[None]]) -> None:
    """Let the batches being written commit or fail; cancel only those still at it after WRITER_GRACE."""
    if not writers:
        return
    _done, late = await asyncio.wait(writers, timeout=WRITER_GRACE)
    for writing in late:
        log.warning("imports.writer_cancelled", grace_seconds=WRITER_GRACE)
        writing.cancel()
    for writing in writers:
        with contextlib.suppress(BaseException):
            await writing


def _split(batch: Batch, parts: int) -> list[Batch]:
    """The batch's rows by enterprise into parts (one part: the batch itself).

    Everything a row touches but one thing belongs to its enterprise (the enterprise, its records
    by natural key), so writers of different parts do not meet. The exception is an external_id
    given to records of two enterprises: the writers then race for it as two imports would.
    """
    if parts == 1:
        return [batch]
    split = [Batch() for _ in range(parts)]
    for row in batch.valid:
        split[zlib.crc32(row.uscc.encode()) % parts].valid.append(row)
    split[0].rejected = batch.rejected
    return split


def _is_race(exc: BaseException) -> bool:
    if isinstance(exc, _Race | asyncpg.UniqueViolationError | asyncpg.DeadlockDetectedError):
        return True
    if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == _DEADLOCK:
        return True  # two writers each waiting for the other's external_id; PostgreSQL ended one
    return isinstance(exc, IntegrityError) and "unique" in str(exc.orig).lower()


Progress = Callable[["Importer"], Awaitable[None] | None]


class Importer:
    """One import from start to end; run() may outlive the request that started it."""

    def __init__(
        self,
        sessionmaker: SessionMaker,
        source: ImportFile,
        *,
        tenant_id: str,
        created_by: str,
        filename: str | None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        on_progress: Progress | None = None,
        reader: str = "auto",
        metrics: ServiceMetrics | None = None,
    ) -> None:
        """reader: "thread", "process" (a file opened by path), or "auto": a process for a large file on disk."""
        self.sessionmaker = sessionmaker
        self.source = source
        self.tenant_id = tenant_id
        self.created_by = created_by
        self.filename = filename
        self.batch_size = batch_size
        self.reader = reader
        self.on_progress = on_progress
        self.counts = Counts()
        self.import_id: UUID | None = None
        self.rows_written = asyncio.Event()  # set after each batch, for whoever waits on progress
        self._rows = (metrics or ServiceMetrics("records")).counter(
            "bluemap_import_rows", "Rows of record imports, by outcome", ("outcome",)
        )

    async def begin(self) -> UUID:
        """Record the import as running; its id."""
        record_import = RecordImport(
            tenant_id=self.tenant_id,
            created_by=self.created_by,
            filename=self.filename,
            format=self.source.format,
            encoding=self.source.encoding,
            size_bytes=self.source.size,
            header=self.source.header,
            ignored_columns=self.source.unknown_columns if self.source.format == "csv" else [],
        )
        async with self.sessionmaker() as session, session.begin():
            ImportRepository(session).add(record_import)
        self.import_id = record_import.id
        return record_import.id

    async def run(self) -> None:
        """Import every row, batch after batch; never raises for what went wrong, the import's status says."""
        assert self.import_id is not None, "begin() first"
        status, failure = "completed", None
        ahead: asyncio.Future[Batch | bytes | None] | None = None
        reader: BatchReader | ProcessBatchReader | None = None
        streams: list[asyncio.Future[None] | None] = []
        try:
            reader = await asyncio.to_thread(reader_for, self.source, self.batch_size, mode=self.reader)
            # The next batch is read while this one is written: as bytes from a reader process (its
            # objects would take several times the memory), as a batch from a thread.
            receive = reader.receive if isinstance(reader, ProcessBatchReader) else reader.next_batch
            ahead = asyncio.ensure_future(asyncio.to_thread(receive))
            streams = self._streams()
            while (received := await ahead) is not None:
                ahead = asyncio.ensure_future(asyncio.to_thread(receive))
                if isinstance(received, Batch):
                    batch = received
                else:
                    decoded = await asyncio.to_thread(reader.decode, received)  # type: ignore[union-attr]
                    if decoded is None:
                        break
                    batch = decoded
                for stream, part in enumerate(_split(batch, len(streams))):
                    previous = streams[stream]
                    if previous is not None:
                        # This stream's previous part first: its rows may recur here. Shielded: a stop
                        # lets a batch's transaction end rather than cancel it halfway through a COPY.
                        await asyncio.shield(previous)
                    streams[stream] = asyncio.ensure_future(self._write_part(part)) if part.size else None
            for stream, writing in enumerate(streams):
                if writing is not None:
                    streams[stream] = None
                    await asyncio.shield(writing)
        except asyncio.CancelledError:
            status, failure = (
                "interrupted",
                "The service stopped during the import; import the file again to finish it.",
            )
            raise
        except Exception as exc:
            log.exception("imports.failed", import_id=str(self.import_id), tenant_id=self.tenant_id)
            status, failure = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        finally:
            await _settle([writing for writing in streams if writing is not None])
            if ahead is not None:
                if not ahead.done():
                    ahead.cancel()
                with contextlib.suppress(BaseException):
                    await ahead  # the worker thread finishes its batch before the file closes
            if reader is not None:
                reader.close()
            self.source.close()
            await asyncio.shield(self._finish(status, failure))
            self.rows_written.set()

    def _streams(self) -> list[asyncio.Future[None] | None]:
        """One slot per writer: two on PostgreSQL, one on SQLite (one writer at a time anyway)."""
        dialect = self.sessionmaker.kw["bind"].dialect.name
        return [None] * (WRITERS if dialect == "postgresql" else 1)

    async def _write_part(self, part: Batch) -> None:
        await self._write(part)
        self.rows_written.set()
        if self.on_progress is not None:
            outcome = self.on_progress(self)
            if outcome is not None:
                await outcome

    async def _write(self, batch: Batch) -> None:
        assert self.import_id is not None
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                async with self.sessionmaker() as session, session.begin():
                    writer = BatchWriter(
                        session, tenant_id=self.tenant_id, import_id=self.import_id, actor=self.created_by
                    )
                    counts, rejected = await writer.write(batch)
                    imports = ImportRepository(session)
                    await imports.add_rejections(
                        [
                            {
                                "tenant_id": self.tenant_id,
                                "import_id": self.import_id,
                                "line": row.line,
                                "problems": [{"column": p.column, "reason": p.reason} for p in problems],
                                "raw": row.raw,
                            }
                            for row, problems in sorted(rejected, key=lambda item: item[0].line)
                        ]
                    )
                    await imports.count_progress(self.tenant_id, self.import_id, counts.as_dict(), utcnow())
                self.counts.add(counts)
                return
            except Exception as exc:
                if attempt == _ATTEMPTS or not _is_race(exc):
                    raise
                log.info("imports.batch_retried", import_id=str(self.import_id), attempt=attempt, reason=repr(exc))

    async def _finish(self, status: str, failure: str | None) -> None:
        assert self.import_id is not None
        try:
            async with self.sessionmaker() as session, session.begin():
                record_import = await ImportRepository(session).get(self.tenant_id, self.import_id)
                if record_import is None:
                    return
                record_import.status = status
                record_import.failure = failure
                record_import.finished_at = utcnow()
                record_import.ignored_columns = list(self.source.unknown_columns)
        except Exception:
            # The database is what failed; the heartbeat sweep marks the import interrupted later.
            log.exception("imports.finish_failed", import_id=str(self.import_id))
        for outcome, rows in self.counts.as_dict().items():
            if outcome != "rows":
                self._rows.labels(outcome).inc(rows)
        log.info("imports.finished", import_id=str(self.import_id), status=status, **self.counts.as_dict())
