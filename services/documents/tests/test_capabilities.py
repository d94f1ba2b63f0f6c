"""Unit tests of capability URLs: HMAC over document, expiry and disposition."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

from bluemap_documents.documents.capabilities import content_url, refusal, sign

KEY = b"k" * 32
DOCUMENT = UUID("0190f5a2-0000-7000-8000-000000000001")
NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
DAY = 24 * 3600


def parts(url: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(url)
    return split.path, {k: v[0] for k, v in parse_qs(split.query).items()}


def test_a_url_grants_its_document_until_it_expires() -> None:
    url = content_url("https://bluemap.example.org/api/documents/", KEY, DOCUMENT, NOW + timedelta(hours=1))
    path, query = parts(url)
    assert url.startswith("https://bluemap.example.org/api/documents/v1/")
    assert path == f"/api/documents/v1/documents/{DOCUMENT}/content"
    assert set(query) == {"expires", "signature"}
    expires = int(query["expires"])
    assert refusal(KEY, DOCUMENT, expires, query["signature"], "attachment", now=NOW, longest_seconds=DAY) is None
    assert (
        refusal(
            KEY, DOCUMENT, expires, query["signature"], "attachment", now=NOW + timedelta(hours=1), longest_seconds=DAY
        )
        == "expired"
    )


def test_every_part_is_signed() -> None:
    expires = int((NOW + timedelta(hours=1)).timestamp())
    signature = sign(KEY, DOCUMENT, expires)
    other = UUID("0190f5a2-0000-7000-8000-000000000002")
    assert refusal(KEY, other, expires, signature, "attachment", now=NOW, longest_seconds=DAY) == "invalid-signature"
    assert (
        refusal(KEY, DOCUMENT, expires + 1, signature, "attachment", now=NOW, longest_seconds=DAY)
        == "invalid-signature"
    )
    assert refusal(KEY, DOCUMENT, expires, signature, "inline", now=NOW, longest_seconds=DAY) == "invalid-signature"
    assert (
        refusal(b"another key", DOCUMENT, expires, signature, "attachment", now=NOW, longest_seconds=DAY)
        == "invalid-signature"
    )
    assert (
        refusal(KEY, DOCUMENT, expires, signature.upper(), "attachment", now=NOW, longest_seconds=DAY)
        == "invalid-signature"
    )
    assert (
        refusal(KEY, DOCUMENT, expires, signature[:-1], "attachment", now=NOW, longest_seconds=DAY)
        == "invalid-signature"
    )
    # A forged signature is refused as invalid even once expired: nothing tells a forger about expiry.
    assert refusal(KEY, DOCUMENT, 0, "0" * 64, "attachment", now=NOW, longest_seconds=DAY) == "invalid-signature"


def test_previews_are_inline_urls() -> None:
    _, query = parts(content_url("", KEY, DOCUMENT, NOW + timedelta(minutes=5), "inline"))
    assert query["disposition"] == "inline"
    assert (
        refusal(KEY, DOCUMENT, int(query["expires"]), query["signature"], "inline", now=NOW, longest_seconds=DAY)
        is None
    )


def test_a_link_living_longer_than_any_the_service_issues_is_refused_even_when_signed() -> None:
    """Whoever holds the key (a leaked or published one) cannot mint a link valid until 2100."""
    until_2100 = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp())
    signature = sign(KEY, DOCUMENT, until_2100)
    assert refusal(KEY, DOCUMENT, until_2100, signature, "attachment", now=NOW, longest_seconds=DAY) == "too-long"
    within = int((NOW + timedelta(seconds=DAY)).timestamp())
    assert (
        refusal(KEY, DOCUMENT, within, sign(KEY, DOCUMENT, within), "attachment", now=NOW, longest_seconds=DAY) is None
    )
