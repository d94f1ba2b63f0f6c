"""Rejected-row CSV exports (spreadsheet-safe), opaque cursors and explanation deadlines."""

import csv
import io
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from bluemap_records.deadlines import china_date, explanation_deadline
from bluemap_records.imports.export import BOM, error_lines, errors_header, neutralise
from bluemap_records.imports.models import ImportRejection
from bluemap_records.pagination import decode_cursor, encode_cursor
from bluemap_shared.problems import InvalidInput


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_cells_a_spreadsheet_would_evaluate_are_neutralised(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["陕西永安", "2020-02-20", "a=b", "", "91610100992777567D"])
def test_other_cells_stay_as_they_are(cell: str) -> None:
    assert neutralise(cell) == cell


def test_rejected_rows_as_csv_with_line_columns_and_reasons_first() -> None:
    rejection = ImportRejection(
        tenant_id="t",
        import_id=uuid4(),
        line=12,
        problems=[{"column": "uscc", "reason": "USCC check digit is A, expected D"}, {"column": "", "reason": "x"}],
        raw=["91610100992777567A", "=cmd|' /C calc'!A0", "含,逗号"],
    )
    text = errors_header(["uscc", "enterprise_name", "summary"]) + "".join(error_lines([rejection]))
    assert text.startswith(BOM)
    header, row = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    assert header == ["error_line", "error_column", "error_reason", "uscc", "enterprise_name", "summary"]
    assert row == [
        "12",
        "uscc",
        "uscc: USCC check digit is A, expected D; x",
        "91610100992777567A",
        "'=cmd|' /C calc'!A0",
        "含,逗号",
    ]


def test_cursors_are_opaque_and_checked() -> None:
    cursor = encode_cursor("records", "2020-02-20", "01a2232c-d67f-7979-890a-4ba0f67f53d2")
    assert "2020" not in cursor
    assert decode_cursor(cursor, "records", 2) == ["2020-02-20", "01a2232c-d67f-7979-890a-4ba0f67f53d2"]
    for bad in ("not-a-cursor", encode_cursor("enterprises", "x"), encode_cursor("records", "only-one"), "@@@"):
        with pytest.raises(InvalidInput):
            decode_cursor(bad, "records", 2)


def test_deadline_is_ten_official_working_days_on_chinas_calendar() -> None:
    # Published on Friday 2024-09-27: the National Day holiday (1-7 October) does not count, the
    # make-up working days Sunday 29 September and Saturday 12 October do.
    assert explanation_deadline(datetime(2024, 9, 27, 3, tzinfo=UTC)) == date(2024, 10, 16)
    # Late evening UTC is already the next day in China.
    assert china_date(datetime(2024, 9, 26, 20, tzinfo=UTC)) == date(2024, 9, 27)
    # An ordinary fortnight: two weekends skipped.
    assert explanation_deadline(datetime(2025, 3, 3, 2, tzinfo=UTC)) == date(2025, 3, 17)
