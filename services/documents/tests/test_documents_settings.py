"""Unit tests of the documents settings: defaults, env prefix, production guard, storage choice."""

import os
import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError

from bluemap_documents.bootstrap import build_storage
from bluemap_documents.settings import DocumentsSettings
from bluemap_shared.storage import FilesystemStorage, S3Storage

PRODUCTION = {
    "environment": "production",
    "database_url": "postgresql+asyncpg://bluemap@db/documents",
    "transport": "kafka",
    "jwks_url": "http://records:8101/api/records/.well-known/jwks.json",
    "url_signing_key": secrets.token_hex(32),
    "public_base_url": "https://bluemap.example.org",
}


def test_defaults(tmp_path: Path) -> None:
    settings = DocumentsSettings(data_dir=tmp_path)
    assert settings.port == 8103
    assert settings.storage_backend == "filesystem"
    assert settings.storage_path == tmp_path / "objects"
    assert settings.max_upload_bytes == 20 * 1024 * 1024
    assert settings.s3_bucket == "bluemap-documents"
    assert isinstance(build_storage(settings), FilesystemStorage)


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLUEMAP_DOCUMENTS_STORAGE_BACKEND", "s3")
    monkeypatch.setenv("BLUEMAP_DOCUMENTS_S3_SECRET_KEY", "s3cr3t")
    monkeypatch.setenv("BLUEMAP_DOCUMENTS_MAX_UPLOAD_BYTES", "1024")
    settings = DocumentsSettings()
    assert settings.max_upload_bytes == 1024
    assert settings.s3_secret_key.get_secret_value() == "s3cr3t"
    assert "s3cr3t" not in repr(settings)
    assert isinstance(build_storage(settings), S3Storage)


def test_production_refuses_s3_without_a_secret() -> None:
    with pytest.raises(ValidationError, match="s3_secret_key"):
        DocumentsSettings(**PRODUCTION, storage_backend="s3", s3_secure=True)
    assert (
        DocumentsSettings(**PRODUCTION, storage_backend="s3", s3_secure=True, s3_secret_key="x").storage_backend == "s3"
    )
    assert DocumentsSettings(**PRODUCTION).storage_backend == "filesystem"


@pytest.mark.parametrize("bad", [{"max_upload_bytes": 0}, {"storage_backend": "ftp"}])
def test_invalid_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DocumentsSettings(**bad)  # type: ignore[arg-type]


def test_disclosure_workflow_defaults(tmp_path: Path) -> None:
    settings = DocumentsSettings(data_dir=tmp_path)
    assert settings.public_base_url == "http://127.0.0.1:8000"
    assert settings.api_url == "http://127.0.0.1:8000/api/documents"
    assert DocumentsSettings(public_api_url="http://documents:8103/api/documents/").api_url == (
        "http://documents:8103/api/documents"
    )
    assert settings.render_concurrency == (os.cpu_count() or 1)
    assert settings.max_pdf_pages == 50
    assert settings.capability_url_ttl_seconds == 7 * 24 * 3600
    assert str(settings.timezone) == "Asia/Shanghai"


def test_production_refuses_the_development_url_signing_key() -> None:
    without = {k: v for k, v in PRODUCTION.items() if k != "url_signing_key"}
    with pytest.raises(ValidationError, match="url_signing_key"):
        DocumentsSettings(**without)
    with pytest.raises(ValidationError, match="url_signing_key"):
        DocumentsSettings(**without, url_signing_key="short")
    assert DocumentsSettings(**PRODUCTION).signing_key == PRODUCTION["url_signing_key"].encode()  # type: ignore[union-attr]
    # Development and tests may use the built-in key.
    assert DocumentsSettings(environment="test").signing_key


def test_an_unknown_timezone_is_refused() -> None:
    with pytest.raises(ValidationError, match="display_timezone"):
        DocumentsSettings(display_timezone="Mars/Olympus_Mons")
