"""What a record says, the rules its fields follow (import format v1), and its fingerprint (pure)."""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

MIN_YEAR = 1990
MAX_SOURCE_TITLE = 500
MAX_ISSUING_AUTHORITY = 200
MAX_SOURCE_URL = 2000
MAX_SUMMARY = 20_000
MAX_EXTERNAL_ID = 200

# C0 controls but tab, line feed and carriage return; PostgreSQL refuses NUL in text outright.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CHINA = timedelta(hours=8)
# Absolute http(s) URL: optional user info, a host (name, IPv4 or bracketed IPv6), optional port.
_HTTP_URL = re.compile(
    r"^https?://(?:[^\s/?#@]*@)?(?:\[[0-9a-f:.]+\]|[^\s/?#:@\[\]]+)(?::\d{1,5})?(?:[/?#]\S*)?$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class RecordContent:
    """The source content of a record: what a re-import compares and what a revision keeps."""

    record_type: str
    year: int
    source_title: str
    issuing_authority: str
    issued_on: date
    source_url: str | None
    summary: str | None
    external_id: str | None

    def sha256(self) -> str:
        """Fingerprint of the content, to tell a real change from a re-import of the same data."""
        return fingerprints(
            [self.record_type],
            [self.year],
            [self.source_title],
            [self.issuing_authority],
            [self.issued_on],
            [self.source_url],
            [self.summary],
            [self.external_id],
        )[0]


def fingerprints(
    record_types: Sequence[str],
    years: Sequence[int],
    source_titles: Sequence[str],
    issuing_authorities: Sequence[str],
    issued_ons: Sequence[date],
    source_urls: Sequence[str | None],
    summaries: Sequence[str | None],
    external_ids: Sequence[str | None],
) -> list[str]:
    """RecordContent.sha256 of many contents given column by column (an import's batch), in order."""
    # Fields never hold NUL or the unit separator (control characters are refused), so the
    # joined text is unambiguous, and None ("\x00") differs from an empty string.
    sha256 = hashlib.sha256
    dates = {issued: issued.isoformat() for issued in set(issued_ons)}
    return [
        sha256(
            f"v1\x1f{record_type}\x1f{year}\x1f{title}\x1f{authority}\x1f{dates[issued]}\x1f"
            f"{_NONE if url is None else url}\x1f{_NONE if summary is None else summary}\x1f"
            f"{_NONE if external_id is None else external_id}".encode()
        ).hexdigest()
        for record_type, year, title, authority, issued, url, summary, external_id in zip(
            record_types,
            years,
            source_titles,
            issuing_authorities,
            issued_ons,
            source_urls,
            summaries,
            external_ids,
            strict=True,
        )
    ]


_NONE = "\x00"


CONTENT_FIELDS = tuple(RecordContent.__dataclass_fields__)


def max_year(now: datetime | None = None) -> int:
    """The latest acceptable record year: next year, as the calendar stands in China."""
    return ((now or datetime.now(UTC)) + _CHINA).year + 1


def check_year(year: int, *, latest: int | None = None) -> int:
    """Raise ValueError unless 1990 <= year <= next year."""
    latest = latest if latest is not None else max_year()
    if not MIN_YEAR <= year <= latest:
        raise ValueError(f"year must be between {MIN_YEAR} and {latest}")
    return year


def check_text(value: str, *, max_length: int) -> str:
    """Raise ValueError when the (already trimmed) text is too long or holds control characters."""
    if len(value) > max_length:
        raise ValueError(f"at most {max_length} characters, got {len(value)}")
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("contains control characters")
    return value


def check_source_url(value: str) -> str:
    """The trimmed URL; raise ValueError unless it is an absolute http or https URL."""
    url = value.strip()
    if len(url) > MAX_SOURCE_URL:
        raise ValueError(f"URL longer than {MAX_SOURCE_URL} characters")
    if CONTROL_CHARACTERS.search(url):
        raise ValueError("URL contains control characters")
    if not _HTTP_URL.match(url):
        raise ValueError("must be an absolute http or https URL, without spaces")
    return url
