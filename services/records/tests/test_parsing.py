"""Reading import files: CSV and JSON Lines, row by row, with the file-level refusals."""

import io

import orjson
import pytest
from records_testing import HEADER, SAMPLE_CSV, csv_file, csv_row

from bluemap_records.imports.encoding import UTF8_BOM
from bluemap_records.imports.parsing import MAX_LINE_BYTES, FileProblem, ImportFile, RowProblem


def open_bytes(data: bytes, filename: str | None = "records.csv", **options: str) -> ImportFile:
    return ImportFile(io.BytesIO(data), size=len(data), filename=filename, **options)


def rows_of(data: bytes, **options: str) -> list:  # type: ignore[type-arg]
    with open_bytes(data, **options) as source:
        return list(source.rows())


def test_the_sample_file_reads_row_by_row_with_line_numbers() -> None:
    with open_bytes(SAMPLE_CSV.read_bytes()) as source:
        rows = list(source.rows())
        assert (source.format, source.encoding, source.unknown_columns) == ("csv", "utf-8", [])
        assert source.header == HEADER.split(",")
        assert source.bytes_read == source.size
    assert len(rows) == 20
    assert [r.line for r in rows] == list(range(2, 22))
    assert rows[0].values["enterprise_name_en"] == "Shaanxi Yong'an Xingqing Door Industry Co., Ltd."
    assert rows[2].values["issued_on"] == "2019年2月23日"
    assert all(not r.problems for r in rows)


def test_columns_in_any_order_and_unknown_ones_are_reported_once() -> None:
    data = (
        "Remarks,year,USCC,enterprise_name,record_type,source_title,issuing_authority,issued_on,备注\n"
        "x,2020,91610100992777567D,陕西永安兴庆门业有限公司,accident,标题,机关,2020-01-01,y\n"
        "x,2021,91610100992777567D,陕西永安兴庆门业有限公司,accident,标题,机关,2021-01-01,y\n"
    ).encode()
    with open_bytes(data) as source:
        rows = list(source.rows())
        assert source.unknown_columns == ["remarks", "备注"]
    assert [r.values["year"] for r in rows] == ["2020", "2021"]
    assert rows[0].values["uscc"] == "91610100992777567D"
    assert "remarks" not in rows[0].values
    assert rows[0].raw[0] == "x"


def test_quoted_fields_hold_commas_quotes_and_newlines() -> None:
    summary = '第一行，含逗号, "引号"\n第二行'
    data = csv_file(csv_row(summary=summary), csv_row(external_id="B"))
    rows = rows_of(data)
    assert rows[0].values["summary"] == summary
    assert [r.line for r in rows] == [2, 4]  # the first row spans lines 2 and 3


def test_blank_lines_and_empty_rows_are_not_rows() -> None:
    data = csv_file(csv_row(), "", ",,,,,,,,,,,,", "  ", csv_row(external_id="B"))
    assert [r.line for r in rows_of(data)] == [2, 6]


def test_crlf_line_ends_and_a_byte_order_mark() -> None:
    data = UTF8_BOM + csv_file(csv_row()).replace(b"\n", b"\r\n")
    with open_bytes(data) as source:
        [row] = list(source.rows())
        assert source.encoding == "utf-8-sig"
    assert row.values["uscc"] == "91610100992777567D"
    assert row.values["external_id"] == "MEE-2020-0220-017"


def test_a_row_with_too_few_or_too_many_fields_is_a_row_problem() -> None:
    rows = rows_of(csv_file("91610100992777567D,陕西", csv_row() + ",extra", csv_row(external_id="C")))
    assert rows[0].problems == [RowProblem("", "the row has 2 fields, the header 13")]
    assert rows[1].problems == [RowProblem("", "the row has 14 fields, the header 13")]
    assert rows[2].problems == []


def test_broken_quoting_rejects_the_row_and_reading_goes_on() -> None:
    rows = rows_of(csv_file('a,"b"c,d', csv_row()))
    assert rows[0].problems[0].reason.startswith("not valid CSV")
    assert rows[1].line == 3
    assert rows[1].problems == []


def test_a_line_in_another_encoding_rejects_its_row_only() -> None:
    gbk_line = csv_row(external_id="GBK").encode("gbk")
    data = csv_file(csv_row()) + gbk_line + b"\n" + csv_row(external_id="Z").encode() + b"\n"
    rows = rows_of(data)
    assert [r.line for r in rows] == [2, 3, 4]
    assert rows[1].problems[0].reason.startswith("not valid UTF-8")
    assert rows[1].values == {}
    assert not rows[0].problems
    assert not rows[2].problems


def test_gb18030_files_read_as_text() -> None:
    with open_bytes(SAMPLE_CSV.read_bytes().decode().encode("gb18030")) as source:
        rows = list(source.rows())
        assert source.encoding == "gb18030"
    assert rows[0].values["enterprise_name"] == "陕西永安兴庆门业有限公司"
    assert not any(r.problems for r in rows)


def test_an_overlong_line_is_rejected_without_holding_it() -> None:
    long_row = csv_row(summary="长" * (MAX_LINE_BYTES // 3 + 10))
    rows = rows_of(csv_file(csv_row(), long_row, csv_row(external_id="after")))
    assert [r.line for r in rows[:2]] == [2, 3]
    assert "longer than" in rows[1].problems[0].reason
    assert rows[-1].values["external_id"] == "after"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\n \r\n\t\n", "only blank lines"),
        (HEADER.encode() + b"\n", "a header but no rows"),
        (HEADER.encode() + b"\n\n,,,,,,,,,,,,\n", "a header but no rows"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"%PDF-1.4\n", "PDF"),
        (b'[{"uscc": "x"}]', "JSON array"),
        (b"hello world\nthis is not a records file\n", "not a header of the records format"),
        (b"uscc,enterprise_name,year\n1,2,3\n", "Required columns are missing from the header: record_type"),
        (HEADER.encode() + b",uscc\n", "more than once in the header: uscc"),
    ],
)
def test_files_that_cannot_be_imported_at_all(data: bytes, message: str) -> None:
    with pytest.raises(FileProblem, match=message):
        open_bytes(data)


def test_a_wrong_declared_encoding_refuses_the_file() -> None:
    with pytest.raises(FileProblem, match="not utf-8"):
        open_bytes(SAMPLE_CSV.read_bytes().decode().encode("gbk"), encoding="utf-8")
    with pytest.raises(FileProblem, match="Unsupported format"):
        open_bytes(SAMPLE_CSV.read_bytes(), format="xlsx")


def jsonl(*objects: object) -> bytes:
    return b"\n".join(orjson.dumps(o) for o in objects) + b"\n"


def test_json_lines_with_the_same_field_names() -> None:
    data = jsonl(
        {"uscc": "91610100992777567D", "year": 2020, "enterprise_name": "陕西", "memo": "x"},
        {"uscc": "91610100992777567D", "year": "2021", "source_url": None, "extra": 1, "memo": 2},
    )
    with open_bytes(data, filename="records.jsonl") as source:
        rows = list(source.rows())
        assert source.format == "jsonl"
        assert source.unknown_columns == ["memo", "extra"]
    assert [r.values.get("year") for r in rows] == ["2020", "2021"]
    assert "source_url" not in rows[1].values
    assert [r.line for r in rows] == [1, 2]


def test_json_lines_are_recognised_by_content_or_declared() -> None:
    data = jsonl({"uscc": "91610100992777567D"})
    with open_bytes(data, filename=None) as source:
        assert source.format == "jsonl"
    with open_bytes(data, filename="upload.bin", format="jsonl") as source:
        assert source.format == "jsonl"


def test_bad_json_lines_are_row_problems() -> None:
    data = jsonl({"uscc": "1"}) + b"{not json\n" + b"[1, 2]\n" + jsonl({"uscc": {"nested": 1}, "year": True})
    rows = rows_of(data, filename="x.jsonl")
    assert rows[0].problems == []
    assert rows[1].problems[0].reason.startswith("not valid JSON")
    assert rows[2].problems == [RowProblem("", "each line must be a JSON object")]
    assert rows[3].problems == [
        RowProblem("uscc", "must be a string or a number"),
        RowProblem("year", "must be a string or a number"),
    ]


def test_escaped_mojibake_in_json_lines_is_caught() -> None:
    garbled = "陕西永安兴庆门业有限公司".encode().decode("gbk", errors="ignore")
    [row] = rows_of(jsonl({"enterprise_name": garbled}), filename="x.jsonl")
    assert row.problems
    assert "mojibake" in row.problems[0].reason
    # The same text as \\u escapes: the line is ASCII, the value is not.
    escaped = '{"enterprise_name": "' + garbled.encode("unicode_escape").decode().replace("\\x", "\\u00") + '"}\n'
    [row] = rows_of(escaped.encode(), filename="x.jsonl")
    assert row.problems
    assert "mojibake" in row.problems[0].reason
