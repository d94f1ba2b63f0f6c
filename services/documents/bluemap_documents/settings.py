"""Documents service settings (env prefix BLUEMAP_DOCUMENTS_)."""

import os
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from bluemap_shared.settings import ServiceSettings

MIB = 1024 * 1024
DAY = 24 * 3600
# Signs capability URLs in development and tests only; production refuses to start with it.
DEVELOPMENT_URL_SIGNING_KEY = "bluemap-development-url-signing-key-not-secret"
MIN_URL_SIGNING_KEY_LENGTH = 32


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
    download_url_ttl_seconds: int = Field(
        default=300, ge=1, le=7 * DAY, description="Presigned S3 URLs, review previews and disclosure links"
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", description="The public portal; verification QR codes point at /verify/<code>"
    )
    public_api_url: str | None = Field(
        default=None,
        description="This service's API as the outside reaches it; default <public_base_url>/api/documents",
    )
    url_signing_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_URL_SIGNING_KEY), description="HMAC key of capability download URLs"
    )
    capability_url_ttl_seconds: int = Field(
        default=7 * DAY, ge=60, le=30 * DAY, description="Lifetime of the download URL announced in PdfRendered"
    )
    max_pdf_pages: int = Field(default=50, ge=1, le=10_000)
    render_concurrency: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)
    render_isolation: Literal["process", "thread"] = Field(
        default="process",
        description="Render in child processes (keeps the service responsive, uses every core) or in threads of "
        "this process (the embedded default, one process)",
    )
    render_niceness: int = Field(
        default=5, ge=0, le=19, description="Added to the rendering processes' nice value: requests and events first"
    )
    render_poll_interval: float = Field(default=1.0, gt=0)
    render_max_attempts: int = Field(default=5, ge=1)
    render_backoff_seconds: float = Field(default=2.0, ge=0)
    render_lease_seconds: float = Field(
        default=300.0, gt=0, description="How long a claimed render keeps others away; then another worker retries"
    )
    display_timezone: str = Field(default="Asia/Shanghai", description="Dates and times printed on documents")

    @property
    def objects_path(self) -> Path:
        return self.storage_path or self.data_dir / "objects"

    @property
    def api_url(self) -> str:
        return (self.public_api_url or f"{self.public_base_url.rstrip('/')}/api/documents").rstrip("/")

    @property
    def signing_key(self) -> bytes:
        return self.url_signing_key.get_secret_value().encode()

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.display_timezone)

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

    @model_validator(mode="after")
    def _production_needs_a_url_signing_key(self) -> "DocumentsSettings":
        key = self.url_signing_key.get_secret_value()
        if self.environment == "production" and (
            key == DEVELOPMENT_URL_SIGNING_KEY or len(key) < MIN_URL_SIGNING_KEY_LENGTH
        ):
            raise ValueError(
                f"production needs url_signing_key: a secret of at least {MIN_URL_SIGNING_KEY_LENGTH} characters"
            )
        return self

    @model_validator(mode="after")
    def _known_timezone(self) -> "DocumentsSettings":
        try:
            ZoneInfo(self.display_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown display_timezone {self.display_timezone!r}") from exc
        return self
