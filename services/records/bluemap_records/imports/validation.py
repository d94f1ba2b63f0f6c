"""Every rule of the import format (v1) applied to one row (pure)."""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bluemap_records.dates import parse_issue_date
from bluemap_records.enterprises.rules import MAX_NAME, MAX_NAME_EN, check_region_code, normalise_email
from bluemap_records.imports.parsing import COLUMNS, RowProblem, SourceRow
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
    elif record_type not in RECORD_TYPES:
        problems.append(RowProblem("record_type", f"unknown record type {record_type!r}"))
    year_text = get("year", "").strip()
    year = 0
    if not year_text:
        problems.append(RowProblem("year", "required"))
    elif not (year_text.isascii() and year_text.isdigit()):
        problems.append(RowProblem("year", f"not a whole number: {year_text!r}"))
    else:
        try:
            year = check_year(int(year_text), latest=latest_year)
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
