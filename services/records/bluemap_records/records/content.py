"""What a record says, the rules its fields follow (import format v1), and its fingerprint (pure)."""

import hashlib
import re
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
        parts = (
            "v1",
            self.record_type,
            str(self.year),
            self.source_title,
            self.issuing_authority,
            self.issued_on.isoformat(),
            self.source_url,
            self.summary,
            self.external_id,
        )
        # Fields never hold NUL or the unit separator (control characters are refused), so the
        # joined text is unambiguous, and None differs from an empty string.
        joined = "\x1f".join("\x00" if part is None else part for part in parts)
        return hashlib.sha256(joined.encode()).hexdigest()


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
