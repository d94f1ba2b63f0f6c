"""What production refuses to start with: published or weak URL-signing keys, plaintext SMTP and S3, loopback URLs."""

import re
import secrets
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bluemap_documents.settings import PUBLISHED_URL_SIGNING_KEYS, DocumentsSettings
from bluemap_explanations.settings import ExplanationsSettings
from bluemap_notifications.settings import NotificationsSettings
from bluemap_portal.settings import PortalSettings
from bluemap_shared.settings import is_loopback_url

REPO = Path(__file__).resolve().parents[2]
PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "database_url": "postgresql+asyncpg://bluemap@db/x",
    "transport": "kafka",
    "public_base_url": "https://bluemap.example.org",
}
DOCUMENTS: dict[str, Any] = {
    **PRODUCTION,
    "url_signing_key": secrets.token_hex(32),
    "storage_backend": "s3",
    "s3_secure": True,
    "s3_secret_key": "s3-secret",
    "s3_public_endpoint": "s3.example.org",
}
NOTIFICATIONS: dict[str, Any] = {**PRODUCTION, "portal_base_url": "https://bluemap.example.org", "smtp_starttls": True}


def test_the_production_examples_here_start() -> None:
    assert DocumentsSettings(**DOCUMENTS).environment == "production"
    assert NotificationsSettings(**NOTIFICATIONS).environment == "production"
    assert ExplanationsSettings(**PRODUCTION).environment == "production"


@pytest.mark.parametrize("key", sorted(PUBLISHED_URL_SIGNING_KEYS))
def test_production_refuses_every_url_signing_key_published_in_the_repository(key: str) -> None:
    with pytest.raises(ValidationError, match="published in the repository"):
        DocumentsSettings(**{**DOCUMENTS, "url_signing_key": key})


@pytest.mark.parametrize(
    "key",
    [
        secrets.token_hex(16),  # 16 random bytes
        "short",
        "a" * 64,  # 32 bytes of hex, all the same
        "ab" * 40,
    ],
)
def test_production_refuses_url_signing_keys_of_fewer_than_32_random_bytes(key: str) -> None:
    with pytest.raises(ValidationError, match="url_signing_key"):
        DocumentsSettings(**{**DOCUMENTS, "url_signing_key": key})


@pytest.mark.parametrize("key", [secrets.token_hex(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)])
def test_production_takes_a_random_key_of_32_bytes_or_more(key: str) -> None:
    assert DocumentsSettings(**{**DOCUMENTS, "url_signing_key": key}).signing_key == key.encode()


def test_every_url_signing_key_written_in_the_repository_is_known_as_published() -> None:
    """A key added to the compose file, a .env example or the docs must join the list production refuses."""
    assignment = re.compile(r"URL_SIGNING_KEY\s*[:=]\s*[\"']?(?:\$\{\w+:?-)?([^\s\"'}]+)")
    found = {}
    candidates = [REPO / "docker-compose.yml", *REPO.glob("*.md"), *REPO.glob("**/.env*"), *REPO.glob("docs/**/*")]
    candidates += list((REPO / "deploy").glob("**/*.md"))
    for path in candidates:
        if path.is_file() and ".venv" not in path.parts:
            for match in assignment.finditer(path.read_text(encoding="utf-8", errors="replace")):
                if not match[1].startswith(("$", "<", "?")):  # interpolations and placeholders
                    found[match[1]] = path.relative_to(REPO)
    unknown = {key: str(where) for key, where in found.items() if key not in PUBLISHED_URL_SIGNING_KEYS}
    assert not unknown, f"add these to bluemap_documents.settings.PUBLISHED_URL_SIGNING_KEYS: {unknown}"


def test_production_refuses_plaintext_s3_unless_allowed() -> None:
    with pytest.raises(ValidationError, match="s3_secure"):
        DocumentsSettings(**{**DOCUMENTS, "s3_secure": False})
    assert DocumentsSettings(**{**DOCUMENTS, "s3_secure": False, "allow_plaintext_s3": True}).allow_plaintext_s3


def test_production_refuses_plaintext_claim_check_s3_unless_allowed() -> None:
    claims = {**PRODUCTION, "claim_check_backend": "s3", "claim_check_s3_secure": False}
    with pytest.raises(ValidationError, match="claim_check_s3_secure"):
        ExplanationsSettings(**claims)
    assert ExplanationsSettings(**{**claims, "allow_plaintext_s3": True}).allow_plaintext_s3


def test_production_refuses_plaintext_smtp_unless_allowed() -> None:
    with pytest.raises(ValidationError, match="smtp_starttls or smtp_tls"):
        NotificationsSettings(**{**NOTIFICATIONS, "smtp_starttls": False})
    assert NotificationsSettings(**{**NOTIFICATIONS, "smtp_starttls": False, "smtp_tls": True}).smtp_tls
    allowed = NotificationsSettings(**{**NOTIFICATIONS, "smtp_starttls": False, "allow_plaintext_smtp": True})
    assert allowed.allow_plaintext_smtp


@pytest.mark.parametrize(
    ("settings_class", "base", "field", "url"),
    [
        (ExplanationsSettings, PRODUCTION, "public_base_url", "http://127.0.0.1:8000"),
        (PortalSettings, PRODUCTION, "public_base_url", "https://localhost"),
        (PortalSettings, PRODUCTION, "documents_public_base_url", "http://localhost:8103/api/documents"),
        (NotificationsSettings, NOTIFICATIONS, "portal_base_url", "http://[::1]:8000"),
        (DocumentsSettings, DOCUMENTS, "public_api_url", "http://127.0.0.2:8103/api/documents"),
        (DocumentsSettings, DOCUMENTS, "s3_public_endpoint", "localhost:9000"),
    ],
)
def test_production_refuses_loopback_public_urls_unless_allowed(
    settings_class: Any, base: dict[str, Any], field: str, url: str
) -> None:
    with pytest.raises(ValidationError, match="this machine"):
        settings_class(**{**base, field: url})
    assert settings_class(**{**base, field: url, "allow_loopback_public_urls": True}).allow_loopback_public_urls
    # Outside production the defaults on 127.0.0.1 are what development uses.
    assert settings_class(**{**base, field: url, "environment": "test"})


def test_the_default_public_url_is_refused_in_production() -> None:
    """Production must say where it is reached: the default on this machine does not start."""
    with pytest.raises(ValidationError, match="this machine"):
        ExplanationsSettings(**{k: v for k, v in PRODUCTION.items() if k != "public_base_url"})


def test_loopback_urls() -> None:
    for url in ("http://localhost:8000", "https://LOCALHOST/", "http://127.0.0.1", "http://[::1]:80", "0.0.0.0:9000"):
        assert is_loopback_url(url), url
    for url in ("https://bluemap.example.org", "http://10.0.0.5:8000", "minio:9000", "s3.example.org"):
        assert not is_loopback_url(url), url
