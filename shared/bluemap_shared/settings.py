"""Settings every service shares; each service subclasses with its own env prefix."""

from ipaddress import IPv4Network, IPv6Network, ip_address
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bluemap_shared.db import DEFAULT_MAX_EVENT_BYTES, PoolSettings
from bluemap_shared.storage import FilesystemStorage, ObjectStorage, S3Storage

Environment = Literal["development", "test", "production"]
KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
# aiokafka's SASL mechanisms that need nothing but a user name and password.
KafkaSaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class ServiceSettings(BaseSettings):
    """Common settings: database, event transport, logging, token verification."""

    model_config = SettingsConfigDict(extra="ignore", env_nested_delimiter="__")

    environment: Environment = "development"
    database_url: str = ""
    # PostgreSQL connections per process: kept open, and opened beyond that under load. Replicas times
    # (size + overflow) must stay under the server's max_connections (or a PgBouncer's pool).
    database_pool_size: int = Field(default=10, ge=1)
    database_pool_max_overflow: int = Field(default=10, ge=0)
    database_pool_timeout_seconds: float = Field(default=30.0, gt=0, description="Wait for a free connection")
    database_pool_recycle_seconds: int = Field(
        default=1800, ge=-1, description="Reopen older connections (-1 never), for proxies that drop idle ones"
    )
    data_dir: Path = Path("var/data")
    transport: Literal["inprocess", "kafka"] = "inprocess"
    kafka_bootstrap: str = "127.0.0.1:9092"
    # Topics this service creates (its own, the ones it consumes, its dead letters), when they do not
    # exist yet; existing topics are left as they are. 12 partitions: up to 12 consumers per group share them.
    kafka_topic_partitions: int = Field(default=12, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1, description="3 on a production cluster")
    kafka_min_insync_replicas: int | None = Field(
        default=None, ge=1, description="Topic min.insync.replicas (producers use acks=all); default the broker's"
    )
    kafka_retention_ms: int | None = Field(
        default=None, ge=-1, description="Topic retention.ms (-1 keeps for ever); default the broker's (7 days)"
    )
    kafka_security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: KafkaSaslMechanism = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = SecretStr("")
    # TLS: the CA that signed the brokers' certificates (default: the system's), and a client
    # certificate and key for mutual TLS.
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
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
    # Retention, in days (None keeps for ever), run by one replica at a time every retention_interval_seconds.
    # Inbox rows make redelivery harmless: keep them longer than any redelivery can come (the topics'
    # retention.ms). Dead letters are deleted once replayed; those waiting for a replay stay.
    retention_outbox_days: int | None = Field(default=7, ge=1, description="Rows published to the broker")
    retention_inbox_days: int | None = Field(default=30, ge=1)
    retention_dead_letters_days: int | None = Field(default=90, ge=1)
    retention_interval_seconds: float = Field(default=3600, gt=0)
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
    # SIGTERM: readiness fails at once; listeners close after drain seconds (load balancers stop
    # sending); requests, event streams, the batch in hand and the relay's batch then get grace seconds.
    shutdown_drain_seconds: float = 2.0
    shutdown_grace_seconds: float = 20.0
    host: str = "127.0.0.1"
    port: int = 8000
    trusted_proxies: list[IPv4Network | IPv6Network] = Field(
        default_factory=list,
        description="Proxies whose X-Forwarded-For is believed (JSON list of addresses or CIDRs); none by default",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The platform as browsers reach it (the portal, the APIs under /api/<service>); https: HSTS",
    )
    # Production refuses public URLs on this machine (localhost, 127.0.0.1, ::1): a one-machine demo says so here.
    allow_loopback_public_urls: bool = False
    # Production refuses S3 without TLS (documents, claim checks); storage on the same host or network may allow it.
    allow_plaintext_s3: bool = False
    # /docs, /redoc and /openapi.json are served outside production; in production only when this says so.
    api_docs_in_production: bool = False

    @property
    def public_urls(self) -> list[str]:
        """Every URL of this service's settings that browsers or mail readers follow; each service adds its own."""
        return [self.public_base_url]

    @property
    def serves_api_docs(self) -> bool:
        return self.environment != "production" or self.api_docs_in_production

    @property
    def strict_transport_security(self) -> bool:
        """HSTS only when every public URL is https: a browser told so cannot reach an http one any more."""
        return all(url.lower().startswith("https://") for url in self.public_urls)

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

    def database_pool(self) -> PoolSettings:
        return PoolSettings(
            size=self.database_pool_size,
            max_overflow=self.database_pool_max_overflow,
            timeout_seconds=self.database_pool_timeout_seconds,
            recycle_seconds=self.database_pool_recycle_seconds,
        )

    def sqlite_url(self, service: str) -> str:
        """Embedded default: one SQLite file per service under data_dir."""
        return f"sqlite+aiosqlite:///{self.data_dir / service}.db"

    @model_validator(mode="after")
    def _consistent_kafka_topics_and_security(self) -> "ServiceSettings":
        min_insync = self.kafka_min_insync_replicas
        if min_insync is not None and min_insync > self.kafka_replication_factor:
            raise ValueError("kafka_min_insync_replicas cannot exceed kafka_replication_factor")
        if self.kafka_security_protocol.startswith("SASL_") and not self.kafka_sasl_username:
            raise ValueError(f"kafka_security_protocol={self.kafka_security_protocol} needs kafka_sasl_username")
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError("kafka_ssl_certfile and kafka_ssl_keyfile go together")
        inbox_days, topic_ms = self.retention_inbox_days, self.kafka_retention_ms
        if inbox_days is not None and topic_ms is not None and (topic_ms == -1 or topic_ms >= inbox_days * 86_400_000):
            raise ValueError(
                "retention_inbox_days must outlast kafka_retention_ms: an event redelivered after its inbox row "
                "is gone would be handled twice"
            )
        return self

    @model_validator(mode="after")
    def _refuse_development_shortcuts_in_production(self) -> "ServiceSettings":
        if self.environment == "production":
            if not self.database_url or self.database_url.startswith("sqlite"):
                raise ValueError("production needs database_url pointing at PostgreSQL")
            if self.transport != "kafka":
                raise ValueError("production needs transport=kafka")
            loopback = [url for url in self.public_urls if is_loopback_url(url)]
            if loopback and not self.allow_loopback_public_urls:
                raise ValueError(
                    f"production refuses public URLs on this machine ({', '.join(loopback)}): set the public "
                    "addresses, or allow_loopback_public_urls=true for a demo on one machine"
                )
            if self.claim_check_backend == "s3" and not self.claim_check_s3_secure and not self.allow_plaintext_s3:
                raise ValueError(
                    "production needs claim_check_s3_secure=true (TLS to S3), or allow_plaintext_s3=true said so"
                )
        return self


def is_loopback_url(url: str) -> bool:
    """An http(s) URL (or bare host[:port]) that only this machine reaches: localhost, 127.0.0.0/8, ::1, 0.0.0.0."""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified
