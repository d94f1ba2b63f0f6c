"""Every rule of the import format (v1) applied to one row, or to a block of rows column by column (pure)."""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bluemap_records.dates import parse_issue_date
from bluemap_records.enterprises.rules import MAX_NAME, MAX_NAME_EN, check_region_code, normalise_email
from bluemap_records.imports.parsing import COLUMNS, RowBlock, RowProblem, SourceRow
from bluemap_records.record_types import RECORD_TYPES
from bluemap_records.records.content import (
    CONTROL_CHARACTERS,
    MAX_EXTERNAL_ID,
    MAX_ISSUING_AUTHORITY,
    MAX_SOURCE_TITLE,
    MAX_SUMMARY,
    RecordContent,
    check_source_url,
    check_year,
    fingerprints,
)
from bluemap_records.uscc import normalise_uscc

Identity = tuple[str, ...]


@dataclass(slots=True)
class EnterpriseFields:
    """What a row says about the enterprise; None where the row says nothing."""

    name: str
    name_en: str | None
    region_code: str | None
    email: str | None


@dataclass(slots=True)
class ValidRow:
    """A row that passed every rule, normalised."""

    line: int
    uscc: str
    enterprise: EnterpriseFields
    content: RecordContent
    sha256: str
    raw: list[str]

    @property
    def identity(self) -> Identity:
        """The record's identity within the tenant (import format v1)."""
        c = self.content
        if c.external_id is not None:
            return ("external", c.issuing_authority, c.external_id)
        return ("natural", self.uscc, c.record_type, c.issuing_authority, c.issued_on.isoformat(), c.source_title)


# The same codes, dates and addresses recur on many rows; their checks are pure, so cache them.
# Sized for memory too: an entry costs ~250 bytes, and 16,384 of them hold a batch's enterprises.
_uscc = functools.lru_cache(maxsize=16384)(normalise_uscc)
_issue_date = functools.lru_cache(maxsize=65536)(parse_issue_date)
_region = functools.lru_cache(maxsize=4096)(check_region_code)
# (column, longest, required) of the plain text columns, in the order they are reported.
_TEXTS = (
    ("enterprise_name", MAX_NAME, True),
    ("enterprise_name_en", MAX_NAME_EN, False),
    ("source_title", MAX_SOURCE_TITLE, True),
    ("issuing_authority", MAX_ISSUING_AUTHORITY, True),
    ("summary", MAX_SUMMARY, False),
    ("external_id", MAX_EXTERNAL_ID, False),
)
# The row's other checks, each raising ValueError with the reason (None: the column may be empty).
_CHECKS: tuple[tuple[str, Callable[[str], Any]], ...] = (
    ("region_code", _region),
    ("registered_email", normalise_email),
    ("issued_on", _issue_date),
    ("source_url", check_source_url),
)
_REQUIRED_CHECKED = frozenset({"issued_on"})


def _record_type(value: str) -> str:
    if value not in RECORD_TYPES:
        raise ValueError(f"unknown record type {value!r}")
    return value


def _year(value: str, latest: int) -> int:
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"not a whole number: {value!r}")
    return check_year(int(value), latest=latest)


def validate_row(row: SourceRow, *, latest_year: int) -> ValidRow | list[RowProblem]:
    """The normalised row, or every problem it has (never only the first)."""
    # One loop over tables of rules rather than a call per column: this runs a million times.
    if row.problems:
        return row.problems
    get = row.values.get
    problems: list[RowProblem] = []

    uscc = get("uscc", "").strip()
    if not uscc:
        problems.append(RowProblem("uscc", "required"))
    else:
        try:
            uscc = _uscc(uscc)
        except ValueError as exc:
            problems.append(RowProblem("uscc", str(exc)))

    texts: dict[str, str | None] = {}
    for column, longest, required in _TEXTS:
        value = get(column, "").strip()
        if not value:
            texts[column] = None
            if required:
                problems.append(RowProblem(column, "required"))
        elif len(value) > longest:
            texts[column] = None
            problems.append(RowProblem(column, f"at most {longest} characters, got {len(value)}"))
        elif CONTROL_CHARACTERS.search(value):
            texts[column] = None
            problems.append(RowProblem(column, "contains control characters"))
        else:
            texts[column] = value

    checked: dict[str, Any] = {}
    for column, check in _CHECKS:
        value = get(column, "").strip()
        if not value:
            checked[column] = None
            if column in _REQUIRED_CHECKED:
                problems.append(RowProblem(column, "required"))
            continue
        try:
            checked[column] = check(value)
        except ValueError as exc:
            checked[column] = None
            problems.append(RowProblem(column, str(exc)))

    record_type = get("record_type", "").strip()
    if not record_type:
        problems.append(RowProblem("record_type", "required"))
    else:
        try:
            _record_type(record_type)
        except ValueError as exc:
            problems.append(RowProblem("record_type", str(exc)))
    year_text = get("year", "").strip()
    year = 0
    if not year_text:
        problems.append(RowProblem("year", "required"))
    else:
        try:
            year = _year(year_text, latest_year)
        except ValueError as exc:
            problems.append(RowProblem("year", str(exc)))

    if problems:
        problems.sort(key=lambda p: _ORDER[p.column])
        return problems
    content = RecordContent(
        record_type=record_type,
        year=year,
        source_title=texts["source_title"],  # type: ignore[arg-type]  # required: not None without a problem
        issuing_authority=texts["issuing_authority"],  # type: ignore[arg-type]
        issued_on=checked["issued_on"],
        source_url=checked["source_url"],
        summary=texts["summary"],
        external_id=texts["external_id"],
    )
    return ValidRow(
        line=row.line,
        uscc=uscc,
        enterprise=EnterpriseFields(
            name=texts["enterprise_name"],  # type: ignore[arg-type]
            name_en=texts["enterprise_name_en"],
            region_code=checked["region_code"],
            email=checked["registered_email"],
        ),
        content=content,
        sha256=content.sha256(),
        raw=row.raw,
    )


# Problems are reported in the order of the format's columns.
_ORDER = {column: i for i, column in enumerate(COLUMNS)}


Checked = ValidRow | tuple[SourceRow, list[RowProblem]]
_KNOWN = frozenset(COLUMNS)
# The columns that make a RecordContent and EnterpriseFields, in their fields' order.
CONTENT_COLUMNS = (
    "record_type",
    "year",
    "source_title",
    "issuing_authority",
    "issued_on",
    "source_url",
    "summary",
    "external_id",
)
ENTERPRISE_COLUMNS = ("enterprise_name", "enterprise_name_en", "region_code", "registered_email")
_REFUSED = object()  # a value its column's rule refuses


def _checked(row: SourceRow, latest_year: int) -> Checked:
    result = validate_row(row, latest_year=latest_year)
    return (row, result) if isinstance(result, list) else result


def _per_value(values: list[str], rule: Callable[[str], Any], *, required: bool) -> tuple[list[Any], list[int]]:
    """The rule's result for each value (None for an empty optional one), run once per distinct value.

    And the positions of the values it refuses.
    """
    results: dict[str, Any] = {}
    for value in set(values):
        if not value:
            results[value] = _REFUSED if required else None
            continue
        try:
            results[value] = rule(value)
        except ValueError:
            results[value] = _REFUSED
    mapped = [results[value] for value in values]
    if any(result is _REFUSED for result in results.values()):
        return mapped, [at for at, result in enumerate(mapped) if result is _REFUSED]
    return mapped, []


def _texts(values: list[str], longest: int, *, required: bool) -> tuple[list[Any], list[int]]:
    """The plain text rule (required, longest, no control characters) over a column: one pass each."""
    if (
        (required and not all(values))
        or max(map(len, values), default=0) > longest
        or CONTROL_CHARACTERS.search("".join(values))
    ):
        refused = [
            at
            for at, value in enumerate(values)
            if (required and not value) or len(value) > longest or CONTROL_CHARACTERS.search(value)
        ]
    else:
        refused = []
    return (values if required else [value or None for value in values]), refused


def validate_block(block: RowBlock, header: Sequence[str], *, latest_year: int) -> list[Checked]:
    """validate_row() of each row of the block, in order; the clean rows' rules are checked column by column.

    The import's fast path. A column's rule runs once per distinct value (codes, dates, addresses
    recur), the plain text rules as one length and one control-character check per column. A row
    that any of them refuses goes through validate_row, so its reasons are validate_row's own; a
    test holds both paths to the same verdicts.
    """
    checked: list[Checked | None] = [None] * len(block.cells)
    for at, row in block.read.items():
        checked[at] = _checked(row, latest_year)
    clean = [at for at in range(len(block.cells)) if at not in block.read] if block.read else range(len(block.cells))
    if clean:
        rows = [block.cells[at] for at in clean] if block.read else block.cells
        lines = [block.lines[at] for at in clean] if block.read else block.lines
        position = {name: at for at, name in enumerate(header) if name in _KNOWN}
        table = list(zip(*rows, strict=True))
        empty = [""] * len(rows)

        def column(name: str) -> list[str]:
            at = position.get(name)
            return [value.strip() for value in table[at]] if at is not None else empty

        refused: set[int] = set()
        found: dict[str, list[Any]] = {}
        for name, rule, required in (
            ("uscc", _uscc, True),
            ("record_type", _record_type, True),
            ("year", functools.partial(_year, latest=latest_year), True),
            ("region_code", _region, False),
            ("registered_email", normalise_email, False),
            ("issued_on", _issue_date, True),
            ("source_url", check_source_url, False),
        ):
            found[name], bad = _per_value(column(name), rule, required=required)
            refused.update(bad)
        for name, longest, required in _TEXTS:
            found[name], bad = _texts(column(name), longest, required=required)
            refused.update(bad)
        if refused:
            for at in refused:
                cells = rows[at]
                source = SourceRow(lines[at], {name: cells[i] for name, i in position.items()}, cells)
                checked[clean[at]] = _checked(source, latest_year)
            kept = [at for at in range(len(rows)) if at not in refused]
            found = {name: [values[at] for at in kept] for name, values in found.items()}
            rows, lines, clean = [rows[at] for at in kept], [lines[at] for at in kept], [clean[at] for at in kept]
        contents = [
            RecordContent(*fields)
            for fields in zip(*(found[name] for name in CONTENT_COLUMNS))  # noqa: B905  # equal lengths
        ]
        enterprises = [
            EnterpriseFields(*fields)
            for fields in zip(*(found[name] for name in ENTERPRISE_COLUMNS))  # noqa: B905
        ]
        sha256s = fingerprints(*(found[name] for name in CONTENT_COLUMNS))
        for at, line, uscc, enterprise, content, sha256, cells in zip(  # noqa: B905
            clean, lines, found["uscc"], enterprises, contents, sha256s, rows
        ):
            checked[at] = ValidRow(line, uscc, enterprise, content, sha256, cells)
    return checked  # type: ignore[return-value]  # every position is set above
