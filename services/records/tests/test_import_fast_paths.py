"""The import's fast paths give what the plain ones give: the reader process, rendered payloads, serialised events."""

import io
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
from records_testing import SAMPLE_CSV, Running, csv_file, csv_row, new_uscc
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from bluemap_records.imports import events
from bluemap_records.imports.batches import Batch, BatchReader, ProcessBatchReader, ReaderFailed, reader_for
from bluemap_records.imports.parsing import ImportFile
from bluemap_records.imports.repository import ImportRepository
from bluemap_records.imports.service import WRITERS, Importer, _is_race, _split
from bluemap_records.records.models import Record, RecordStatusChange
from bluemap_records.records.repository import RECORD_COLUMNS
from bluemap_records.records.service import published_event
from bluemap_records.settings import RecordsSettings
from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging import OutboxMessage, emit_batch, emit_many
from bluemap_shared.messaging.outbox import BATCH_EVENT_TYPE, messages_of

MIXED = csv_file(
    csv_row(uscc=new_uscc(), external_id="A-1"),
    csv_row(uscc="91610100992777567A", external_id="B"),  # a wrong check digit
    csv_row(uscc=new_uscc(), external_id="A-2", summary="  spaced\tout  "),
    csv_row(uscc=new_uscc(), external_id="A-1"),  # the same record again: a new batch
    csv_row(uscc=new_uscc(), year="19"),
)


def _batches(reader: BatchReader | ProcessBatchReader) -> Iterator[Batch]:
    try:
        while (batch := reader.next_batch()) is not None:
            yield batch
    finally:
        reader.close()


def _described(batches: Iterator[Batch]) -> list[Any]:
    return [
        (
            [(r.line, r.uscc, r.enterprise, r.content, r.sha256, r.raw) for r in batch.valid],
            [(row.line, row.raw, problems) for row, problems in batch.rejected],
        )
        for batch in batches
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("mixed.csv", MIXED),
        ("sample.csv", SAMPLE_CSV.read_bytes()),
        ("gbk.csv", SAMPLE_CSV.read_bytes().decode().encode("gb18030")),
        (
            "rows.jsonl",
            b'{"uscc": "91610100992777567A", "enterprise_name": "x"}\n'
            b'{"uscc": "%s", "enterprise_name": "\xe5\x85\xac\xe5\x8f\xb8", "record_type": "accident", '
            b'"year": 2020, "source_title": "t", "issuing_authority": "a", "issued_on": "2020-01-02", "extra": 1}\n'
            b"not json\n" % new_uscc().encode(),
        ),
    ],
)
def test_the_reader_process_gives_the_batches_a_thread_reader_gives(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with ImportFile.open(path) as source:
        expected = _described(_batches(BatchReader(source, 2)))
        expected_unknown, expected_read = source.unknown_columns, source.bytes_read
    with ImportFile.open(path) as source:
        reader = reader_for(source, 2, mode="process")
        assert isinstance(reader, ProcessBatchReader)
        assert _described(_batches(reader)) == expected
        assert (source.unknown_columns, source.bytes_read) == (expected_unknown, expected_read)


def test_small_files_and_uploads_are_read_in_a_thread(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    path.write_bytes(MIXED)
    with ImportFile.open(path) as source:
        assert isinstance(reader_for(source, 10), BatchReader)
    with ImportFile(io.BytesIO(MIXED), size=len(MIXED), filename="up.csv") as upload:
        assert upload.path is None
        assert isinstance(reader_for(upload, 10, mode="auto"), BatchReader)


def test_a_reader_process_that_fails_fails_the_reading(tmp_path: Path) -> None:
    path = tmp_path / "gone.csv"
    path.write_bytes(MIXED)
    with ImportFile.open(path) as source:
        path.unlink()  # the child cannot open it again
        reader = ProcessBatchReader(source, 10)
        with pytest.raises(ReaderFailed, match="FileNotFoundError"):
            reader.next_batch()
        reader.close()


def test_a_reader_process_that_dies_fails_the_reading(tmp_path: Path) -> None:
    path = tmp_path / "killed.csv"
    path.write_bytes(MIXED)
    with ImportFile.open(path) as source:
        reader = ProcessBatchReader(source, 1)
        reader._process.kill()
        reader._process.wait()
        with pytest.raises(ReaderFailed, match="ended unexpectedly"):
            list(_batches(reader))


def _records(count: int) -> tuple[list[tuple[Any, ...]], list[EnterpriseSnapshot]]:
    now = datetime(2026, 11, 28, 12, 0, 0, 0, tzinfo=UTC)  # no microseconds: a form of its own
    import_id = uuid7()
    enterprises = [
        EnterpriseSnapshot(enterprise_id=uuid7(), uscc=new_uscc(), name='西安 "永安" 门业', registered_emails=[]),
        EnterpriseSnapshot.model_construct(
            enterprise_id=uuid7(),
            uscc=new_uscc(),
            name="Acme\\Co",
            name_en="Acme </script>",
            region_code="610100",
            registered_emails=["a@example.cn", "b@例子.中国"],
        ),
    ]
    kinds = [("rectification_order", date(2026, 12, 30)), ("emissions_data", None)]
    records = []
    for i in range(count):
        record_type, due = kinds[i % 2]
        values = {
            "id": uuid7(),
            "tenant_id": "t",
            "enterprise_id": enterprises[i % 2].enterprise_id,
            "record_type": record_type,
            "year": 2020 + i % 3,
            "source_title": f'标题 {i} "quoted" \u2028 emoji 🚀',
            "issuing_authority": "西安市生态环境局",
            "issued_on": date(2020, 1, 1 + i % 28),
            "source_url": None if i % 3 else f"https://example.cn/{i}?a=1&b=<2>",
            "summary": None if i % 4 == 1 else "line\nbreak\ttab\r\\ back",
            "external_id": None,
            "status": "published",
            "explanation_due_on": due,
            "import_id": import_id,
            "published_at": now.replace(microsecond=i % 2 * 123456),
        }
        records.append(tuple(values.get(column) for column in RECORD_COLUMNS))
    return records, [enterprises[i % 2] for i in range(count)]


def _pydantic(record: tuple[Any, ...], enterprise: EnterpriseSnapshot) -> bytes:
    view = type("Row", (), dict(zip(RECORD_COLUMNS, record, strict=True)))
    event = published_event(view, enterprise)
    return event.__pydantic_serializer__.to_json(event)


@pytest.mark.parametrize("first", [0, 1])
def test_rendered_payloads_are_byte_for_byte_what_pydantic_writes(first: int) -> None:
    records, enterprises = _records(24)
    records, enterprises = records[first:], enterprises[first:]
    # A batch shares one published_at; each record's own is the batch's.
    records = [(*record[:18], records[0][18], *record[19:]) for record in records]
    assert events.publication_payloads(records, enterprises) == [
        _pydantic(r, e) for r, e in zip(records, enterprises, strict=True)
    ]


def test_payloads_fall_back_to_pydantic_when_the_contract_gained_a_field(monkeypatch: pytest.MonkeyPatch) -> None:
    class Extended(RecordPublished):
        channel: str = "import"

    def extended(record: Any, enterprise: EnterpriseSnapshot) -> Extended:
        return Extended(**published_event(record, enterprise).model_dump())

    monkeypatch.setattr(events, "RecordPublished", Extended)
    monkeypatch.setattr(events, "published_event", extended)
    records, enterprises = _records(3)
    records = [(*record[:18], records[0][18], *record[19:]) for record in records]
    payloads = events.publication_payloads(records, enterprises)
    assert [orjson.loads(p)["channel"] for p in payloads] == ["import"] * 3


def test_uuid7_batch_makes_version_7_ids_of_now() -> None:
    ids = events.uuid7_batch(1000)
    assert len(set(ids)) == 1000
    assert {u.version for u in ids} == {7}
    assert {u.variant for u in ids} == {"specified in RFC 4122"}
    assert all(str(u) == str(type(u)(str(u))) for u in ids[:10])
    assert abs((ids[0].int >> 80) - (uuid7().int >> 80)) < 5000  # milliseconds


async def test_a_batch_rows_events_are_the_messages_emit_many_stages(records: Running, tenant: str) -> None:
    snapshot = EnterpriseSnapshot(enterprise_id=uuid7(), uscc=new_uscc(), name="公司")
    records_, _ = _records(1)
    event = published_event(type("Row", (), dict(zip(RECORD_COLUMNS, records_[0], strict=True))), snapshot)
    async with records.service.runtime.sessionmaker() as session, session.begin():
        [plain] = await emit_many(session, [event], tenant_id=tenant)
        [fast] = await emit_batch(
            session,
            [(RecordPublished, event.subject(), event.__pydantic_serializer__.to_json(event))],
            tenant_id=tenant,
        )
    async with records.service.runtime.sessionmaker() as session:
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.tenant_id == tenant))).all()
    [a] = [row for row in rows if row.event_id == plain]
    [b] = [message for row in rows if row.event_type == BATCH_EVENT_TYPE for message in messages_of(row)]
    assert (a.topic, a.key, a.event_type, a.payload) == (
        b.topic,
        b.key.decode(),
        b.header("ce_type"),
        b.value,
    )
    assert [h for h in a.headers if h[0] not in ("ce_id", "ce_time")] == [
        [k, v.decode()] for k, v in b.headers if k not in ("ce_id", "ce_time")
    ]
    assert b.header("ce_id") == str(fast)


async def _import(running: Running, path: Path, tenant: str) -> Importer:
    with_bad = ImportFile.open(path)
    importer = Importer(
        running.service.runtime.sessionmaker,
        with_bad,
        tenant_id=tenant,
        created_by="test",
        filename=path.name,
        batch_size=3,
        reader="process",
    )
    await importer.begin()
    await importer.run()
    return importer


async def _import_through_the_process_twice(running: Running, tmp_path: Path, tenant: str) -> None:
    path = tmp_path / "sample.csv"
    path.write_bytes(SAMPLE_CSV.read_bytes())
    first = await _import(running, path, tenant)
    assert first.counts.as_dict() == {"rows": 20, "created": 20, "updated": 0, "unchanged": 0, "rejected": 0}
    again = await _import(running, path, tenant)
    assert again.counts.as_dict() == {"rows": 20, "created": 0, "updated": 0, "unchanged": 20, "rejected": 0}
    path.write_bytes(csv_file(csv_row(summary="更正"), csv_row(uscc="91610100992777567A")))
    changed = await _import(running, path, tenant)
    assert (changed.counts.updated, changed.counts.rejected) == (1, 1)
    types = await running.event_types(tenant)
    assert types.count("record-published") == 20
    assert types.count("record-updated") == 1
    async with running.service.runtime.sessionmaker() as session:
        created = (await session.exec(select(Record).where(Record.tenant_id == tenant))).all()
        history = (await session.exec(select(RecordStatusChange).where(RecordStatusChange.tenant_id == tenant))).all()
    # Each record keeps its publication; history rows are for the transitions after it.
    assert history == []
    assert {r.published_by for r in created} == {"test"}
    published = {m.key: orjson.loads(m.payload) for m in await running.outbox(tenant) if "published" in m.event_type}
    for record in created:
        assert published[str(record.id)]["record_type"] == record.record_type
        assert published[str(record.id)]["issued_on"] == record.issued_on.isoformat()


async def test_the_import_through_a_reader_process_on_postgresql(records: Running, tmp_path: Path, tenant: str) -> None:
    await _import_through_the_process_twice(records, tmp_path, tenant)


async def test_the_import_through_a_reader_process_on_sqlite(sqlite_settings: RecordsSettings, tmp_path: Path) -> None:
    from conftest import serve

    async with serve(sqlite_settings) as running:
        await _import_through_the_process_twice(running, tmp_path, "ipe")


def _uscc_of_part(part: int) -> str:
    while True:
        uscc = new_uscc()
        if zlib.crc32(uscc.encode()) % WRITERS == part:
            return uscc


def test_a_batch_splits_by_enterprise_keeping_file_order(tmp_path: Path) -> None:
    usccs = [_uscc_of_part(0), _uscc_of_part(1), _uscc_of_part(0)]
    content = csv_file(
        *(csv_row(uscc=usccs[i % 3], external_id=f"E-{i}") for i in range(12)), csv_row(uscc="91610100992777567A")
    )
    path = tmp_path / "split.csv"
    path.write_bytes(content)
    with ImportFile.open(path) as source:
        [batch] = list(_batches(BatchReader(source, 100)))
    first, second = _split(batch, 2)
    assert [r.line for r in first.valid] == [2, 4, 5, 7, 8, 10, 11, 13]
    assert [r.line for r in second.valid] == [3, 6, 9, 12]
    assert [row.line for row, _ in first.rejected] == [14]
    assert not second.rejected
    assert _split(batch, 1) == [batch]


def test_deadlocks_and_unique_violations_are_races_to_redo() -> None:
    class Orig(Exception):
        sqlstate = "40P01"

    assert _is_race(DBAPIError("COPY", {}, Orig()))
    assert _is_race(asyncpg.DeadlockDetectedError("deadlock detected"))
    assert not _is_race(DBAPIError("COPY", {}, ValueError()))


async def test_rejections_are_listed_in_file_order_whatever_the_order_written(
    records: Running, tenant: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_file(csv_row(uscc="91610100992777567A")))
    importer = await _import(records, path, tenant)
    assert importer.import_id is not None
    async with records.service.runtime.sessionmaker() as session, session.begin():
        await ImportRepository(session).add_rejections(
            [
                {"tenant_id": tenant, "import_id": importer.import_id, "line": line, "problems": [], "raw": []}
                for line in (9, 5, 7)
            ]
        )
    async with records.service.runtime.sessionmaker() as session:
        repository = ImportRepository(session)
        first = await repository.rejections(tenant, importer.import_id, after_line=0, limit=3)
        rest = await repository.rejections(tenant, importer.import_id, after_line=first[-1].line, limit=3)
    assert [r.line for r in first] == [2, 5, 7]
    assert [r.line for r in rest] == [9]


async def test_two_writers_racing_for_one_external_id_leave_one_record(
    records: Running, tenant: str, tmp_path: Path
) -> None:
    # Two enterprises' rows claim one record (same authority and external_id). The second starts a
    # batch (a record seen again does), and goes to the other writer, which does not wait for the
    # first's: they may race. Whichever commits first has the record, the other row is rejected.
    fillers = [csv_row(uscc=_uscc_of_part(i % 2), external_id=f"OWN-{i}") for i in range(40)]
    rows = [
        csv_row(uscc=_uscc_of_part(1), external_id="SHARED-1", source_title="first"),
        *fillers[:20],
        csv_row(uscc=_uscc_of_part(0), external_id="SHARED-1", source_title="second"),
        *fillers[20:],
    ]
    path = tmp_path / "race.csv"
    path.write_bytes(csv_file(*rows))
    with ImportFile.open(path) as source:
        importer = Importer(
            records.service.runtime.sessionmaker, source, tenant_id=tenant, created_by="test", filename="race.csv"
        )
        await importer.begin()
        await importer.run()
    assert importer.counts.as_dict() == {"rows": 42, "created": 41, "updated": 0, "unchanged": 0, "rejected": 1}
    async with records.service.runtime.sessionmaker() as session:
        shared = (
            await session.exec(select(Record).where(Record.tenant_id == tenant, Record.external_id == "SHARED-1"))
        ).all()
    assert len(shared) == 1
    assert (await records.event_types(tenant)).count("record-published") == 41
