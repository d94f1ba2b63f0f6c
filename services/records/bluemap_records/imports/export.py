"""The rejected rows of an import as CSV, safe to open in a spreadsheet."""

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from bluemap_records.imports.models import ImportRejection

# Spreadsheets run a cell starting with these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # lets spreadsheet programs read the Chinese text as UTF-8


def neutralise(cell: str) -> str:
    """The cell as text a spreadsheet shows and never evaluates."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _line(cells: Iterable[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([neutralise(str(c)) for c in cells])
    return out.getvalue()


def errors_header(header: list[str]) -> str:
    """The first line: where and why, then the file's own columns."""
    return BOM + _line(["error_line", "error_column", "error_reason", *header])


def error_lines(rejections: Iterable[ImportRejection]) -> Iterator[str]:
    """One CSV line per rejected row: its line, the columns at fault, the reasons, then the row as read."""
    for rejection in rejections:
        columns = "; ".join(p["column"] for p in rejection.problems if p["column"])
        reasons = "; ".join(f"{p['column']}: {p['reason']}" if p["column"] else p["reason"] for p in rejection.problems)
        yield _line([rejection.line, columns, reasons, *rejection.raw])
