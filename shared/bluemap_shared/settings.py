"""Settings every service shares; each service subclasses with its own env prefix."""

from ipaddress import IPv4Network, IPv6Network, ip_address
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    outbox_batch_size: int = 200
    # False when `relay` processes of the service publish its outbox (scaled apart from the API, so a
    # burst of requests does not hold back the events they stage).
    outbox_relay_in_process: bool = True
    consumer_max_attempts: int = 5
    consumer_backoff_seconds: float = 0.2
    # Messages of a Kafka batch handled at once (different keys; one key stays in order); each holds
    # a pooled database connection (20 a process), so requests and the relay keep the rest.
    consumer_concurrency: int = 8
    # The built-in identity provider of the records service; production names its own.
    jwks_url: str = "http://127.0.0.1:8101/api/records/.well-known/jwks.json"
    token_issuer: str = "bluemap"
    token_audience: str = "bluemap"
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
            loopback = [url for url in self.public_urls if is_loopback_url(url)]
            if loopback and not self.allow_loopback_public_urls:
                raise ValueError(
                    f"production refuses public URLs on this machine ({', '.join(loopback)}): set the public "
                    "addresses, or allow_loopback_public_urls=true for a demo on one machine"
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
