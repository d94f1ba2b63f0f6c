"""Unit tests of the documents settings: defaults, env prefix, production guard, storage choice."""

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
        DocumentsSettings(**PRODUCTION, storage_backend="s3")
    assert DocumentsSettings(**PRODUCTION, storage_backend="s3", s3_secret_key="x").storage_backend == "s3"
    assert DocumentsSettings(**PRODUCTION).storage_backend == "filesystem"


@pytest.mark.parametrize("bad", [{"max_upload_bytes": 0}, {"storage_backend": "ftp"}])
def test_invalid_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DocumentsSettings(**bad)  # type: ignore[arg-type]
