"""Import files read row by row in constant memory: CSV (RFC 4180) or JSON Lines (blocking file I/O)."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Literal

if TYPE_CHECKING:
    import _csv

import orjson

from bluemap_records.imports.encoding import (
    SAMPLE_BYTES,
    EncodingProblem,
    decode_line,
    detect_encoding,
    mojibake,
    sniff,
    suspect_lines,
)

REQUIRED_COLUMNS = ("uscc", "enterprise_name", "record_type", "year", "source_title", "issuing_authority", "issued_on")
COLUMNS = (
    "uscc",
    "enterprise_name",
    "enterprise_name_en",
    "region_code",
    "registered_email",
    "record_type",
    "year",
    "source_title",
    "issuing_authority",
    "issued_on",
    "source_url",
    "summary",
    "external_id",
)
_KNOWN = frozenset(COLUMNS)
# The longest legitimate row (a 20,000-character summary and the rest) is far below this; a longer
# line is a broken file or an attack on memory, never data.
MAX_LINE_BYTES = 1024 * 1024
# What the fast path reads at once: about 5,000 rows of a usual file, a few MB as text and cells.
BLOCK_BYTES = 2 * 1024 * 1024

Format = Literal["csv", "jsonl"]


class FileProblem(ValueError):
    """The file as a whole cannot be imported; nothing is written."""


@dataclass(slots=True)
class RowProblem:
    """Why a row is rejected; column is "" when the row as a whole is at fault."""

    column: str
    reason: str


@dataclass(slots=True)
class SourceRow:
    """One row as read: the known columns' text and the row as the file had it."""

    line: int
    values: dict[str, str]
    raw: list[str]
    problems: list[RowProblem] = field(default_factory=list)


@dataclass(slots=True)
class RowBlock:
    """Rows read together, in file order: each row's first line and cells.

    A row in `read` was read by the per-row path (a line it could not trust, a wrong number of
    fields, or a block the fast path left to it) and is validated as that SourceRow; every other
    row has exactly the header's cells, all of it read cleanly.
    """

    lines: list[int] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)
    read: dict[int, SourceRow] = field(default_factory=dict)

    def add(self, row: SourceRow) -> None:
        self.read[len(self.cells)] = row
        self.lines.append(row.line)
        self.cells.append(row.raw)


def choose_format(declared: str | None, filename: str | None, first_char: str) -> Format:
    """CSV or JSON Lines: as declared, else by the file name's extension, else by the first character."""
    if declared:
        name = declared.strip().lower()
        if name in ("csv",):
            return "csv"
        if name in ("jsonl", "ndjson", "json-lines"):
            return "jsonl"
        raise FileProblem(f"Unsupported format {declared!r}; use csv or jsonl.")
    suffix = Path(filename or "").suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    return "jsonl" if first_char == "{" else "csv"


class ImportFile:
    """An import file opened for reading, its format, encoding and header settled before any row is read.

    Raise FileProblem for a file that cannot be imported at all: empty,
    binary, not this format, undecodable, without the required columns, or without a single row.
    """

    def __init__(
        self,
        file: BinaryIO,
        *,
        size: int,
        filename: str | None = None,
        encoding: str | None = None,
        format: str | None = None,
    ) -> None:
        """Take over file (binary, seekable, at its start): close() closes it, also when this raises."""
        self.size = size
        self.path: Path | None = None  # set when opened by path: another process may read it again
        self.bytes_read = 0
        self.unknown_columns: list[str] = []
        self._file = file
        self._line_number = 0  # physical lines read so far
        self._pending: io.BytesIO | None = None  # a block handed back to the per-row path, read before the file
        try:
            if size == 0:
                raise FileProblem("The file is empty.")
            sample = self._file.read(SAMPLE_BYTES)
            self._file.seek(0)
            sniffed = sniff(sample)
            if sniffed.kind is not None:
                raise FileProblem(f"This is {sniffed.kind}, not CSV or JSON Lines.")
            if not sniffed.first_char:
                raise FileProblem("The file is empty: it holds only blank lines.")
            if sniffed.first_char == "[":
                raise FileProblem("A JSON array is not accepted; send JSON Lines: one object per line.")
            self.format: Format = choose_format(format, filename, sniffed.first_char)
            try:
                self.encoding = detect_encoding(sample, encoding, complete=len(sample) == self.size)
            except EncodingProblem as exc:
                raise FileProblem(str(exc)) from exc
            self._line_problems: dict[int, str] = {}
            if self.format == "csv":
                self.header = self._read_header()
                self._rows = self._csv_rows(self._reader, 0)
            else:
                self.header = list(COLUMNS)
                self._rows = self._jsonl_rows()
            self._first = next(self._rows, None)
            if self._first is None:
                raise FileProblem(
                    "The file has a header but no rows." if self.format == "csv" else "The file has no rows."
                )
        except BaseException:
            self._file.close()
            raise

    @classmethod
    def open(cls, path: Path, *, encoding: str | None = None, format: str | None = None) -> "ImportFile":
        """The file at path, its name telling the format unless format says it."""
        opened = cls(path.open("rb"), size=path.stat().st_size, filename=path.name, encoding=encoding, format=format)
        opened.path = path
        return opened

    def __enter__(self) -> "ImportFile":
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def rows(self) -> Iterator[SourceRow]:
        """Every row after the header, in file order; blank rows are skipped."""
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        yield from self._rows

    @property
    def fast(self) -> bool:
        """Whether blocks() reads this file on the fast path: CSV in UTF-8."""
        return self.format == "csv" and self.encoding in ("utf-8", "utf-8-sig")

    def blocks(self, rows: int) -> Iterator[RowBlock]:
        """Every row after the header, in file order, in blocks (of about `rows` rows read row by row).

        UTF-8 CSV takes the fast path: a block of BLOCK_BYTES is decoded, split into lines and parsed
        at once, and only a line that may hold mojibake is checked line by line (encoding.decode_line,
        the per-row path's own check). A block the fast path cannot read as the per-row path would
        (not UTF-8, broken CSV, an over-long line, a quoted field running past the block, a byte
        order mark) goes to the per-row path whole. Other files are read row by row.
        """
        block = RowBlock()
        if self._first is not None:
            first, self._first = self._first, None
            block.add(first)
        if not self.fast:
            for row in self._rows:
                block.add(row)
                if len(block.cells) >= rows:
                    yield block
                    block = RowBlock()
            if block.cells:
                yield block
            return
        if block.cells:
            yield block
        while data := self._read_block():
            fast = self._fast_block(data)
            yield fast if fast is not None else self._slow_block(data)

    def _read_block(self) -> bytes:
        data = self._file.read(BLOCK_BYTES)
        if data and not data.endswith(b"\n"):
            data += self._file.readline(MAX_LINE_BYTES + 1)  # the rest of the last line
        return data

    def _fast_block(self, data: bytes) -> RowBlock | None:
        """The rows of data (whole lines), or None when only the per-row path reads them as it should."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if "\ufeff" in text or text.count("\r") != text.count("\r\n"):
            # The per-row path drops a byte order mark at a line's start, and a lone carriage return
            # is no line end to it; both are rare enough to leave to it.
            return None
        if max(map(len, data.split(b"\n"))) >= MAX_LINE_BYTES:
            return None
        count = text.count("\n") + (not text.endswith("\n"))  # lines, the last one perhaps without its line feed

        def reader() -> "_csv.Reader":
            # Lines end at line feeds only, and keep them, as the per-row path reads them.
            return csv.reader(io.StringIO(text, newline="\n"), strict=True)

        rows = reader()
        try:
            parsed = list(rows)  # a quoted field left open at the end of the block is an error too
        except csv.Error:
            return None
        base = self._line_number
        if rows.line_num == len(parsed):
            starts: list[int] | range = range(base + 1, base + 1 + len(parsed))
        else:  # quoted line feeds: a row spans lines
            starts, rows = [], reader()
            last = 0
            for _ in rows:
                starts.append(base + last + 1)
                last = rows.line_num
        line_problems = {}
        suspects = suspect_lines(data, text)
        if suspects:
            lines = text.split("\n")
            for index in suspects:
                _text, problem = decode_line(lines[index].encode() + b"\n", self.encoding)
                if problem is not None:
                    line_problems[base + 1 + index] = problem
        self._line_number = base + count
        self.bytes_read += len(data)
        width = len(self.header)
        first = self.header.index("uscc")
        block = RowBlock()
        if (
            not line_problems
            and set(map(len, parsed)) == {width}
            and all(uscc.strip() for uscc in set(map(itemgetter(first), parsed)))
        ):
            block.lines, block.cells = list(starts), parsed  # the usual block: no row needs a look of its own
            return block
        cells, kept_lines = block.cells, block.lines
        next_starts = [*starts[1:], base + count + 1]
        for fields, start, following in zip(parsed, starts, next_starts, strict=True):
            problems = [
                RowProblem("", reason if number == start else f"line {number}: {reason}")
                for number, reason in line_problems.items()
                if start <= number < following
            ]
            if not problems and not "".join(fields).strip():
                continue  # a blank line, or a row of empty cells
            if not problems and len(fields) != width:
                problems.append(RowProblem("", f"the row has {len(fields)} fields, the header {width}"))
            if problems:
                block.add(SourceRow(start, {}, fields, problems))
            else:
                kept_lines.append(start)
                cells.append(fields)
        return block

    def _slow_block(self, data: bytes) -> RowBlock:
        """The rows of data read by the per-row path, and the rest of the last one's lines from the file."""
        self._pending = io.BytesIO(data)
        block = RowBlock()
        for row in self._csv_rows(csv.reader(self._text_lines(), strict=True), self._line_number):
            block.add(row)
            if self._pending is None:
                break
        self._pending = None
        return block

    def _readline(self, limit: int) -> bytes:
        pending = self._pending
        if pending is None:
            return self._file.readline(limit)
        line = pending.readline(limit)
        if pending.tell() == len(pending.getbuffer()):
            self._pending = None
            if line and not line.endswith(b"\n") and len(line) < limit:
                line += self._file.readline(limit - len(line))  # the block ended inside this line
        return line or self._file.readline(limit)

    def _lines(self) -> Iterator[tuple[int, bytes | None]]:
        """(number, bytes) of each physical line; None in place of a line over MAX_LINE_BYTES."""
        readline = self._readline
        while True:
            line = readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            self._line_number += 1
            number = self._line_number
            self.bytes_read += len(line)
            if len(line) > MAX_LINE_BYTES:
                while line and not line.endswith(b"\n"):  # skip the rest without holding it
                    line = readline(MAX_LINE_BYTES)
                    self.bytes_read += len(line)
                yield number, None
                continue
            yield number, line

    def _text_lines(self) -> Iterator[str]:
        """Decoded lines for the CSV reader; a line's decoding problem is noted for its row."""
        for number, raw in self._lines():
            if raw is None:
                self._line_problems[number] = f"line {number} is longer than {MAX_LINE_BYTES} bytes"
                yield "\n"
                continue
            text, problem = decode_line(raw, self.encoding)
            if problem is not None:
                self._line_problems[number] = problem
            yield text

    def _read_header(self) -> list[str]:
        self._reader = csv.reader(self._text_lines(), strict=True)
        try:
            header = next((row for row in self._reader if row), [])
        except csv.Error as exc:
            raise FileProblem(f"The first line is not a CSV header: {exc}.") from exc
        if self._line_problems:
            raise FileProblem(f"The header cannot be read: {next(iter(self._line_problems.values()))}.")
        columns = [name.strip().lower() for name in header]
        if not _KNOWN.intersection(columns):
            raise FileProblem(
                "The first line is not a header of the records format (expected columns such as "
                f"{', '.join(REQUIRED_COLUMNS)}); is this a records CSV file?"
            )
        duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
        if duplicated:
            raise FileProblem(f"Columns appear more than once in the header: {', '.join(duplicated)}.")
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise FileProblem(f"Required columns are missing from the header: {', '.join(missing)}.")
        self.unknown_columns = [c for c in columns if c not in _KNOWN]
        return columns

    def _csv_rows(self, reader: "_csv.Reader", offset: int) -> Iterator[SourceRow]:
        """The rows of reader, whose first line is line offset + 1."""
        columns = self.header
        width = len(columns)
        # Without unknown columns (the usual case) a row zips with the header, the fastest way.
        known = [(i, c) for i, c in enumerate(columns) if c in _KNOWN] if self.unknown_columns else None
        problems_by_line = self._line_problems
        last = offset + reader.line_num
        while True:
            start = last + 1
            try:
                fields = next(reader)
                failure = None
            except StopIteration:
                return
            except csv.Error as exc:
                fields, failure = [], f"not valid CSV: {exc}"
            last = offset + reader.line_num
            problems = []
            if problems_by_line:
                for number in [n for n in problems_by_line if n <= last]:
                    reason = problems_by_line.pop(number)
                    problems.append(RowProblem("", reason if number == start else f"line {number}: {reason}"))
            if failure is not None:
                problems.append(RowProblem("", failure))
            elif not problems and not "".join(fields).strip():
                continue  # a blank line, or a row of empty cells as spreadsheets leave at the end
            elif len(fields) != width and not problems:
                problems.append(RowProblem("", f"the row has {len(fields)} fields, the header {width}"))
            if problems:
                values = {}
            elif known is None:
                values = dict(zip(columns, fields, strict=True))
            else:
                values = {name: fields[i] for i, name in known}
            yield SourceRow(start, values, fields, problems)

    def _jsonl_rows(self) -> Iterator[SourceRow]:
        unknown: dict[str, None] = {}
        for number, raw in self._lines():
            if raw is None:
                yield SourceRow(number, {}, [], [RowProblem("", f"line longer than {MAX_LINE_BYTES} bytes")])
                continue
            text, problem = decode_line(raw, self.encoding)
            if not text.strip():
                continue
            if problem is not None:
                yield SourceRow(number, {}, [], [RowProblem("", problem)])
                continue
            try:
                obj = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                yield SourceRow(number, {}, [], [RowProblem("", f"not valid JSON: {exc}")])
                continue
            if not isinstance(obj, dict):
                yield SourceRow(number, {}, [], [RowProblem("", "each line must be a JSON object")])
                continue
            values: dict[str, str] = {}
            problems: list[RowProblem] = []
            for key, value in obj.items():
                if key not in _KNOWN:
                    if key not in unknown:
                        unknown[key] = None
                        self.unknown_columns.append(key)
                    continue
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, str | int | float):
                    problems.append(RowProblem(key, "must be a string or a number"))
                    continue
                values[key] = value if isinstance(value, str) else str(value)
                # \\u escapes carry text past the line's own check.
                if text.isascii() and isinstance(value, str) and not value.isascii():
                    suspicious = mojibake(value)
                    if suspicious:
                        problems.append(RowProblem(key, suspicious))
            yield SourceRow(number, values, [values.get(c, "") for c in COLUMNS], problems)
