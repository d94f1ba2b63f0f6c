"""Settings every service shares; each service subclasses with its own env prefix."""

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bluemap_shared.db import DEFAULT_MAX_EVENT_BYTES
from bluemap_shared.storage import FilesystemStorage, ObjectStorage, S3Storage

Environment = Literal["development", "test", "production"]


class ServiceSettings(BaseSettings):
    """Common settings: database, event transport, logging, token verification."""

    model_config = SettingsConfigDict(extra="ignore", env_nested_delimiter="__")

    environment: Environment = "development"
    database_url: str = ""
    data_dir: Path = Path("var/data")
    transport: Literal["inprocess", "kafka"] = "inprocess"
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_topic_partitions: int = 3
    kafka_namespace: str = ""
    log_level: str = "INFO"
    log_json: bool = True
    outbox_poll_interval: float = 1.0
    # The largest event a service may stage; a change that would need a larger one is refused (413),
    # since the broker would refuse it for ever. Keep under the topics' max.message.bytes.
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    # Claim checks: payloads over claim_check_inline_bytes travel as objects in this storage, so
    # max_event_bytes may exceed the broker's message limit. Every service that consumes such events
    # needs the same storage. "filesystem" suits one machine (the embedded default); "s3" a cluster.
    claim_check_backend: Literal["none", "filesystem", "s3"] = "none"
    claim_check_inline_bytes: int = 256 * 1024
    claim_check_path: Path | None = None  # filesystem: defaults to <data_dir>/claim-checks
    claim_check_s3_endpoint: str = ""
    claim_check_s3_bucket: str = "bluemap-claim-checks"
    claim_check_s3_access_key: str = ""
    claim_check_s3_secret_key: SecretStr = SecretStr("")
    claim_check_s3_secure: bool = True
    claim_check_s3_region: str = "us-east-1"
    # Outbox rows a relay claims and publishes in one transaction.
    outbox_batch_size: int = 1000
    # False when `relay` processes of the service publish its outbox (scaled apart from the API, so a
    # burst of requests does not hold back the events they stage).
    outbox_relay_in_process: bool = True
    consumer_max_attempts: int = 5
    consumer_backoff_seconds: float = 0.2
    # Events a Kafka consumer fetches and handles in one transaction at most.
    consumer_batch_size: int = 1000
    # Producer compression (aiokafka's names: lz4, zstd, snappy, gzip), or none.
    kafka_compression: Literal["lz4", "zstd", "snappy", "gzip", "none"] = "lz4"
    # The built-in identity provider of the records service; production names its own.
    jwks_url: str = "http://127.0.0.1:8101/api/records/.well-known/jwks.json"
    token_issuer: str = "bluemap"
    token_audience: str = "bluemap"
    host: str = "127.0.0.1"
    port: int = 8000

    def claim_check_storage(self) -> "ObjectStorage | None":
        """The storage claim checks go to, or None when large events are refused instead."""
        if self.claim_check_backend == "filesystem":
            return FilesystemStorage(self.claim_check_path or self.data_dir / "claim-checks")
        if self.claim_check_backend == "s3":
            return S3Storage(
                self.claim_check_s3_endpoint,
                self.claim_check_s3_access_key,
                self.claim_check_s3_secret_key.get_secret_value(),
                self.claim_check_s3_bucket,
                secure=self.claim_check_s3_secure,
                region=self.claim_check_s3_region,
            )
        return None

    def sqlite_url(self, service: str) -> str:
        """Embedded default: one SQLite file per service under data_dir."""
        return f"sqlite+aiosqlite:///{self.data_dir / service}.db"

    @model_validator(mode="after")
    def _refuse_development_shortcuts_in_production(self) -> "ServiceSettings":
        if self.environment == "production":
            if not self.database_url or self.database_url.startswith("sqlite"):
                raise ValueError("production needs database_url pointing at PostgreSQL")
            if self.transport != "kafka":
                raise ValueError("production needs transport=kafka")
        return self
