"""Documents service settings (env prefix BLUEMAP_DOCUMENTS_)."""

import base64
import binascii
import os
import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from bluemap_shared.settings import ServiceSettings, is_loopback_url

MIB = 1024 * 1024
DAY = 24 * 3600
# Signs capability URLs in development and tests only; production refuses to start with it.
DEVELOPMENT_URL_SIGNING_KEY = "bluemap-development-url-signing-key-not-secret"
# Every URL-signing key the repository ever shipped (code, docker-compose.yml, docs): anyone can read them, so
# production refuses them. tests/unit/test_url_signing_keys.py fails when the repository holds one not listed here.
PUBLISHED_URL_SIGNING_KEYS = frozenset({DEVELOPMENT_URL_SIGNING_KEY, "compose-demo-url-signing-key-change-me"})
MIN_URL_SIGNING_KEY_BYTES = 32
# 64 random hex digits hold all 16 nearly always; "aaaa..." or "abababab..." are no secret.
MIN_DISTINCT_KEY_CHARACTERS = 8
BASE64_TEXT = re.compile(r"^[A-Za-z0-9+/_-]{43,}={0,2}$")


def url_signing_key_problem(key: str) -> str | None:
    """Why key cannot sign production links (published in the repository, too short, not random), or None."""
    if key in PUBLISHED_URL_SIGNING_KEYS:
        return "this key is published in the repository; generate a secret (`openssl rand -hex 32`)"
    if len(key_bytes(key)) < MIN_URL_SIGNING_KEY_BYTES:
        return f"a random secret of at least {MIN_URL_SIGNING_KEY_BYTES} bytes (64 hex digits) is needed"
    if len(set(key)) < MIN_DISTINCT_KEY_CHARACTERS:
        return "the key repeats itself too much to be random; generate one (`openssl rand -hex 32`)"
    return None


def key_bytes(key: str) -> bytes:
    """The random bytes a key written as hex or base64 holds; any other text counts byte for byte."""
    text = key.strip()
    try:
        return bytes.fromhex(text)
    except ValueError:
        pass
    if BASE64_TEXT.match(text):
        bare = text.rstrip("=").translate(str.maketrans("-_", "+/"))
        try:
            return base64.b64decode(bare + "=" * (-len(bare) % 4), validate=True)
        except binascii.Error:
            pass
    return text.encode()


class DocumentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BLUEMAP_DOCUMENTS_", extra="ignore")

    port: int = 8103
    # Objects no document references are deleted once this old (uploads and renders in flight are younger).
    object_gc_grace_hours: float = Field(default=24, gt=0)
    object_gc_interval_seconds: float = Field(default=6 * 3600, gt=0)
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
        if self.environment == "production":
            problem = url_signing_key_problem(self.url_signing_key.get_secret_value())
            if problem:
                raise ValueError(f"production needs url_signing_key: {problem}")
        return self

    @model_validator(mode="after")
    def _production_refuses_plaintext_s3(self) -> "DocumentsSettings":
        if (
            self.environment == "production"
            and self.storage_backend == "s3"
            and not self.s3_secure
            and not self.allow_plaintext_s3
        ):
            raise ValueError("production needs s3_secure=true (TLS to S3), or allow_plaintext_s3=true said explicitly")
        if (
            self.environment == "production"
            and self.s3_public_endpoint
            and is_loopback_url(self.s3_public_endpoint)
            and not self.allow_loopback_public_urls
        ):
            raise ValueError(
                f"production refuses s3_public_endpoint {self.s3_public_endpoint} on this machine, "
                "unless allow_loopback_public_urls=true"
            )
        return self

    @property
    def public_urls(self) -> list[str]:
        return [self.public_base_url, self.api_url]

    @property
    def longest_link_seconds(self) -> int:
        """No signed link this service hands out lives longer; one claiming more was not made here."""
        return max(self.capability_url_ttl_seconds, self.download_url_ttl_seconds)

    @model_validator(mode="after")
    def _known_timezone(self) -> "DocumentsSettings":
        try:
            ZoneInfo(self.display_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown display_timezone {self.display_timezone!r}") from exc
        return self
