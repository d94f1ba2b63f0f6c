"""The import's fast path (blocks read at once, rules checked column by column) gives validate_row's verdicts.

Each file is read twice: row by row (ImportFile.rows, validate_row: the per-row reasons) and as
the import reads it (ImportFile.blocks, validate_block). Both must describe every row alike: the
same rows, lines, verdicts, normalised values, fingerprints and reasons.
"""

import csv
import hashlib
import io
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from records_testing import HEADER, SAMPLE_CSV, csv_file, csv_row, new_uscc

from bluemap_records.imports import batches, parsing
from bluemap_records.imports.encoding import UTF8_BOM, decode_line, mojibake, suspect_lines
from bluemap_records.imports.parsing import COLUMNS, MAX_LINE_BYTES, ImportFile
from bluemap_records.imports.validation import validate_block, validate_row
from bluemap_records.records.content import RecordContent, fingerprints

LATEST = 2027
LONG = "长" * 201


def _open(data: bytes) -> ImportFile:
    return ImportFile(io.BytesIO(data), size=len(data), filename="records.csv")


def _describe(line: int, result: Any, raw: list[str]) -> tuple[Any, ...]:
    if isinstance(result, list):
        return ("rejected", line, raw, [(p.column, p.reason) for p in result])
    return ("valid", line, result.uscc, result.enterprise, result.content, result.sha256, result.raw)


def per_row(data: bytes) -> list[tuple[Any, ...]]:
    with _open(data) as source:
        return [_describe(row.line, validate_row(row, latest_year=LATEST), row.raw) for row in source.rows()]


def by_blocks(data: bytes, *, fast_rows: int = 0) -> list[tuple[Any, ...]]:
    """The rows as the import reads them; at least fast_rows of them read on the fast path."""
    described = []
    with _open(data) as source:
        assert source.fast
        for block in source.blocks(1000):
            fast_rows -= len(block.cells) - len(block.read)
            for checked in validate_block(block, source.header, latest_year=LATEST):
                if isinstance(checked, tuple):
                    row, problems = checked
                    described.append(_describe(row.line, problems, row.raw))
                else:
                    described.append(_describe(checked.line, checked, checked.raw))
    assert fast_rows <= 0, "too few rows took the fast path"
    return described


# One row breaking each rule of the spec (or taking a normalisation), and the reading problems.
BAD_ROWS = [
    csv_row(uscc=""),
    csv_row(uscc="   "),
    csv_row(uscc="91610100992777567d"),  # lower case: valid once upper-cased
    csv_row(uscc=" 91610100992777567D "),
    csv_row(uscc="91610100992777567A"),  # check digit
    csv_row(uscc="9161010099277756"),
    csv_row(uscc="91610100992777567I"),
    csv_row(enterprise_name=""),
    csv_row(enterprise_name=LONG),
    csv_row(enterprise_name="陕西\x07门业"),
    csv_row(enterprise_name="  陕西永安兴庆门业有限公司\u3000"),
    csv_row(enterprise_name_en="E" * 301),
    csv_row(enterprise_name_en=""),
    csv_row(region_code="61010"),
    csv_row(region_code="990100"),
    csv_row(region_code=""),
    csv_row(registered_email="not an address"),
    csv_row(registered_email="EHS@Example.CN"),
    csv_row(registered_email=""),
    csv_row(record_type=""),
    csv_row(record_type="parking_ticket"),
    csv_row(record_type=" accident "),
    csv_row(year=""),
    csv_row(year="19"),
    csv_row(year="20x0"),
    csv_row(year="２０２０"),
    csv_row(year="1989"),
    csv_row(year="2099"),
    csv_row(year=" 2021 "),
    csv_row(source_title=""),
    csv_row(source_title="题" * 501),
    csv_row(source_title="标题\x1b"),
    csv_row(issuing_authority="局" * 201),
    csv_row(issuing_authority=""),
    csv_row(issued_on=""),
    csv_row(issued_on="2020-02-30"),
    csv_row(issued_on="2020/2/3"),
    csv_row(issued_on="2019年2月23日"),
    csv_row(issued_on="20.02.2020"),
    csv_row(source_url="ftp://example.cn/x"),
    csv_row(source_url="https://exa mple.cn/"),
    csv_row(source_url="https://example.cn/\x01"),
    csv_row(source_url=""),
    csv_row(summary="摘" * 20_001),
    csv_row(summary="含\x0b垂直制表符"),
    csv_row(summary='  tabs\tand\r\nline feeds, "quotes"  '),
    csv_row(summary=""),
    csv_row(external_id="X" * 201),
    csv_row(external_id=""),
    csv_row(uscc="bad", year="x", record_type="?", issued_on="?", source_url="?", summary="\x02"),  # all at once
    "91610100992777567D,陕西",  # too few fields
    csv_row() + ",extra",  # too many
    "",
    ",,,,,,,,,,,,",
    "  ,  ,,,,,,,,,,,",
    csv_row(summary="信用中国(陕西)强化监督".encode().decode("gbk", errors="ignore")),  # mojibake
    csv_row(summary="强化监督定点帮扶".encode().decode("cp1252", errors="ignore")),
    csv_row(summary="陕西\ufffd\ufffd门业"),
    csv_row(summary="Crème brûlée, naïve café"),  # Latin-1 letters that are no mojibake
    csv_row(summary="多行\n摘要，第二行"),
]


def _files() -> list[tuple[str, bytes]]:
    rows = [csv_row(uscc=new_uscc(), external_id=f"OK-{i}") for i in range(30)]
    bad = csv_file(*[row for pair in zip(rows, BAD_ROWS, strict=False) for row in pair], *BAD_ROWS[len(rows) :])
    gbk_line = csv_row(external_id="GBK").encode("gbk") + b"\n"
    reordered = io.StringIO()
    writer = csv.writer(reordered, lineterminator="\n")
    writer.writerow([*reversed(HEADER.split(",")), "备注"])
    for i in range(3):
        writer.writerow([*reversed(next(csv.reader([csv_row(external_id=f"R-{i}", year=str(2019 + i))]))), "x"])
    return [
        ("sample", SAMPLE_CSV.read_bytes()),
        ("every kind of bad row", bad),
        ("crlf and a byte order mark", UTF8_BOM + SAMPLE_CSV.read_bytes()),  # the sample ends its lines with CRLF
        ("crlf, and bad rows", bad.replace(b"\n", b"\r\n")),
        ("a line in GBK", csv_file(csv_row()) + gbk_line + csv_row(external_id="Z").encode() + b"\n"),
        ("a lone carriage return", csv_file(csv_row(), csv_row(external_id="A\rB"), csv_row(external_id="C"))),
        ("no line feed at the end", csv_file(csv_row(), csv_row(external_id="END")).rstrip(b"\n")),
        ("unknown and reordered columns", reordered.getvalue().encode()),
        ("without the optional columns", b"uscc,enterprise_name,record_type,year,source_title,issuing_authority,"
         b"issued_on\n91610100992777567D,n,accident,2020,t,a,2020-01-02\n,,,,,,\n91610100992777567D,n,x,1,t,a,?\n"),
        ("an over-long line", csv_file(csv_row(), csv_row(summary="长" * (MAX_LINE_BYTES // 3 + 10)), csv_row())),
        ("a quote open to the end", csv_file(csv_row(), '91610100992777567D,"unterminated')),
        ("broken quoting", csv_file(csv_row(), 'a,"b"c,d', csv_row(external_id="Q"))),
        ("a byte order mark in a row", csv_file(csv_row(), csv_row(summary="\ufeff以字节顺序标记开头"))),
    ]  # fmt: skip


# The files whose rows the fast path reads (the others' blocks go to the per-row path whole).
FAST_FILES = (
    "sample",
    "every kind of bad row",
    "crlf and a byte order mark",
    "no line feed at the end",
    "unknown and reordered columns",
    "without the optional columns",
)


@pytest.mark.parametrize("block_bytes", [parsing.BLOCK_BYTES, 700, 64])
@pytest.mark.parametrize(("name", "data"), _files(), ids=[name for name, _ in _files()])
def test_blocks_and_column_rules_give_validate_rows_verdicts(
    monkeypatch: pytest.MonkeyPatch, name: str, data: bytes, block_bytes: int
) -> None:
    # Small blocks cut rows, quoted line feeds and characters apart: the per-row path takes those blocks.
    monkeypatch.setattr(parsing, "BLOCK_BYTES", block_bytes)
    expected = per_row(data)
    fast = block_bytes > 1000 and name in FAST_FILES
    assert by_blocks(data, fast_rows=1 if fast else 0) == expected
    assert any(item[0] == "valid" for item in expected)


def test_the_bad_rows_are_rejected_or_normalised_as_the_spec_says() -> None:
    verdicts = {item[1]: item for item in by_blocks(_files()[1][1], fast_rows=50)}
    rejected = [item for item in verdicts.values() if item[0] == "rejected"]
    assert len(rejected) >= 40
    columns = {column for item in rejected for column, _ in item[3]}
    assert columns >= {"", *COLUMNS}  # every column, and the row as a whole
    valid = [item for item in verdicts.values() if item[0] == "valid"]
    assert any(item[2] == "91610100992777567D" and item[3].email == "EHS@example.cn" for item in valid)


def test_a_wrong_rule_in_the_column_path_would_be_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison can fail: a column rule that lets a too-long title through is found out."""
    from bluemap_records.imports import validation

    texts = validation._texts

    def lenient(values: list[str], longest: int, *, required: bool) -> tuple[list[Any], list[int]]:
        return texts(values, longest * 2, required=required)

    monkeypatch.setattr(validation, "_texts", lenient)
    data = _files()[1][1]
    assert by_blocks(data, fast_rows=50) != per_row(data)


def test_suspect_lines_hold_every_line_mojibake_objects_to() -> None:
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(0x4E00, 0x9FA5, 37)] + list("，。、（）abc 123") + ["é", "ü", "\u00a0"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(3000)]
    texts += [t.encode("utf-8").decode("gbk", errors="ignore") for t in texts[:500]]
    texts += [t.encode("utf-8").decode("gbk", errors="replace") for t in texts[500:700]]
    texts += [t.encode("utf-8").decode("cp1252", errors="ignore") for t in texts[700:900]]
    texts += [t.encode("gbk", errors="ignore").decode("latin-1") for t in texts[900:1100]]
    texts = [t.replace("\n", " ") for t in texts]
    data = "\n".join(texts).encode() + b"\n"
    flagged = suspect_lines(data, data.decode())
    objected = {at for at, text in enumerate(texts) if decode_line(text.encode() + b"\n", "utf-8")[1] is not None}
    assert len(objected) > 500
    assert objected <= flagged
    assert all(mojibake(texts[at], utf8=texts[at].encode()) is None for at in set(range(len(texts))) - flagged)


def test_fingerprints_by_column_are_the_fingerprint_the_database_keeps() -> None:
    content = RecordContent("accident", 2020, "标题", "局", date(2020, 2, 3), None, "摘要", "X-1")
    # The stored form: fields joined by the unit separator, None as NUL.
    joined = "v1\x1faccident\x1f2020\x1f标题\x1f局\x1f2020-02-03\x1f\x00\x1f摘要\x1fX-1"
    assert content.sha256() == hashlib.sha256(joined.encode()).hexdigest()
    assert fingerprints(*([getattr(content, f)] for f in RecordContent.__dataclass_fields__)) == [content.sha256()]


def test_a_large_file_on_the_fast_path_is_read_in_a_thread_the_others_in_a_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "PROCESS_MIN_BYTES", 10)
    utf8, gbk = tmp_path / "large.csv", tmp_path / "large-gbk.csv"
    utf8.write_bytes(SAMPLE_CSV.read_bytes())
    gbk.write_bytes(SAMPLE_CSV.read_bytes().decode().encode("gb18030"))
    with ImportFile.open(utf8) as source:
        assert source.fast
        assert isinstance(batches.reader_for(source, 10), batches.BatchReader)
    with ImportFile.open(gbk) as source:
        reader = batches.reader_for(source, 10)
        try:
            assert isinstance(reader, batches.ProcessBatchReader)
        finally:
            reader.close()
