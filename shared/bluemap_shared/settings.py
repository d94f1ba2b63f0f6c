"""Settings every service shares; each service subclasses with its own env prefix."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bluemap_shared.db import DEFAULT_MAX_EVENT_BYTES

Environment = Literal["development", "test", "production"]
KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
# aiokafka's SASL mechanisms that need nothing but a user name and password.
KafkaSaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class ServiceSettings(BaseSettings):
    """Common settings: database, event transport, logging, token verification."""

    model_config = SettingsConfigDict(extra="ignore", env_nested_delimiter="__")

    environment: Environment = "development"
    database_url: str = ""
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
        return self

    @model_validator(mode="after")
    def _refuse_development_shortcuts_in_production(self) -> "ServiceSettings":
        if self.environment == "production":
            if not self.database_url or self.database_url.startswith("sqlite"):
                raise ValueError("production needs database_url pointing at PostgreSQL")
            if self.transport != "kafka":
                raise ValueError("production needs transport=kafka")
        return self
