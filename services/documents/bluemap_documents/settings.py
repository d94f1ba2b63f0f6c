"""Documents service settings (env prefix BLUEMAP_DOCUMENTS_)."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from bluemap_shared.settings import ServiceSettings

MIB = 1024 * 1024


class DocumentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BLUEMAP_DOCUMENTS_", extra="ignore")

    port: int = 8103
    storage_backend: Literal["filesystem", "s3"] = "filesystem"
    storage_path: Path | None = Field(default=None, description="Filesystem backend root; default <data_dir>/objects")
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = ""
    s3_secret_key: SecretStr = SecretStr("")
    s3_bucket: str = "bluemap-documents"
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    s3_public_endpoint: str | None = Field(default=None, description="Host the browser reaches S3 at, for presigning")
    max_upload_bytes: int = Field(default=20 * MIB, gt=0)
    download_url_ttl_seconds: int = Field(default=300, ge=1, le=7 * 24 * 3600)

    @property
    def objects_path(self) -> Path:
        return self.storage_path or self.data_dir / "objects"

    @model_validator(mode="after")
    def _default_storage_path(self) -> "DocumentsSettings":
        if self.storage_path is None:
            self.storage_path = self.data_dir / "objects"
        return self

    @model_validator(mode="after")
    def _production_needs_s3_credentials(self) -> "DocumentsSettings":
        if (
            self.environment == "production"
            and self.storage_backend == "s3"
            and not self.s3_secret_key.get_secret_value()
        ):
            raise ValueError("production with storage_backend=s3 needs s3_secret_key")
        return self
