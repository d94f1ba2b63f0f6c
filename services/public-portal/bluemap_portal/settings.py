"""Public portal settings (env prefix BLUEMAP_PORTAL_)."""

from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from bluemap_shared.settings import ServiceSettings


class PortalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BLUEMAP_PORTAL_", extra="ignore")

    port: int = 8100
    default_tenant: str = "ipe"
    # One deployment, several operators: the Host a visitor asked for picks the tenant,
    # e.g. BLUEMAP_PORTAL_TENANT_HOSTS='{"map.ipe.org.cn": "ipe", "bluemap.example.org": "demo"}'.
    tenant_hosts: dict[str, str] = {}
    # Published documents download from the documents service's public endpoint, without a token.
    documents_public_base_url: str = "http://127.0.0.1:8000/api/documents"
    page_size: int = Field(default=20, ge=1, le=100, description="Items per page of a listing")
    search_count_limit: int = Field(
        default=1000, ge=1, le=1_000_000, description="The search page counts matches up to this; more show as more"
    )
    # Atom entry ids are tag: URIs (RFC 4151) minted under this "domain,date"; they must never change.
    feed_tag_authority: str = Field(default="bluemap.example.org,2025", pattern=r"^[a-z0-9.-]+,\d{4}(-\d{2}){0,2}$")
    feed_size: int = Field(default=50, ge=1, le=500, description="Entries per Atom feed")
    export_batch_size: int = Field(default=500, ge=1, le=10_000, description="Enterprises read at a time by exports")
    # Public pages rendered for anonymous visitors are kept this long (0: never); this process's own writes
    # drop them at once, another replica's show after at most this long (see site/page_cache.py).
    page_cache_seconds: float = Field(default=2.0, ge=0, le=60)
    # On PostgreSQL every replica hears every commit (LISTEN/NOTIFY) and drops its pages at once; while
    # it does, pages are kept up to this long instead.
    page_cache_shared_seconds: float = Field(default=300.0, ge=0, le=3600)
    # What an anonymous page's Cache-Control lets a CDN or reverse proxy do (see README "Caching at the edge"):
    # keep it this long without asking, then serve it stale this much longer while it revalidates (ETag, 304).
    edge_max_age_seconds: int = Field(default=0, ge=0, le=86_400)
    edge_stale_while_revalidate_seconds: int = Field(default=60, ge=0, le=86_400)

    # Open data (/data): each tenant's whole public dataset as files, made again when its data changed.
    open_data_interval_seconds: float = Field(default=300.0, gt=0, description="How often changes are looked for")
    open_data_path: Path | None = Field(
        default=None, description="Where the files are kept; default <data_dir>/open-data"
    )
    open_data_licence: str = Field(default="CC-BY-4.0", description="SPDX id of the licence of every tenant's data")
    # A tenant's own licence, by tenant id, e.g. '{"ipe": "CC-BY-SA-4.0"}'.
    open_data_licences: dict[str, str] = {}

    # Workspace and console (backend-for-frontend): the APIs the portal calls with the signed-in user's token.
    # The embedded default serves every service on one port; the distributed mode sets each one.
    records_api_url: str = "http://127.0.0.1:8000/api/records"
    explanations_api_url: str = "http://127.0.0.1:8000/api/explanations"
    documents_api_url: str = "http://127.0.0.1:8000/api/documents"
    notifications_api_url: str = "http://127.0.0.1:8000/api/notifications"
    api_timeout_seconds: float = Field(default=30.0, gt=0, description="Each call of the portal to a service")
    # The documents service's own limit (max_upload_bytes); larger uploads are refused before they are sent on.
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    # The records service's import_max_upload_bytes: the console passes import files on up to this size.
    import_max_upload_bytes: int = Field(default=2 * 1024 * 1024 * 1024, gt=0)
    # An import of up to import_sync_rows rows answers when done: the console waits for it this long.
    import_timeout_seconds: float = Field(default=600.0, gt=0)

    @property
    def open_data_folder(self) -> Path:
        return self.open_data_path or self.data_dir / "open-data"

    def open_data_licence_of(self, tenant_id: str) -> str:
        return self.open_data_licences.get(tenant_id, self.open_data_licence)

    @property
    def public_urls(self) -> list[str]:
        return [self.public_base_url, self.documents_public_base_url]

    @field_validator("records_api_url", "explanations_api_url", "documents_api_url", "notifications_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.lower().startswith(("https://", "http://")):
            raise ValueError("the services' API URLs must be http(s) URLs")
        return value.rstrip("/")

    @field_validator("documents_public_base_url")
    @classmethod
    def _web_url(cls, value: str) -> str:
        if not value.lower().startswith(("https://", "http://")):
            raise ValueError("documents_public_base_url must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("tenant_hosts")
    @classmethod
    def _lower_case_hosts(cls, value: dict[str, str]) -> dict[str, str]:
        return {host.strip().lower(): tenant for host, tenant in value.items()}


def current_settings(request: Request) -> PortalSettings:
    """The portal's settings, from the runtime the app (API or site) was built with."""
    settings: PortalSettings = request.app.state.runtime.settings
    return settings


async def _settings(request: Request) -> PortalSettings:
    # async: FastAPI runs a plain def dependency in its thread pool, a thread hop per request for nothing.
    return current_settings(request)


SettingsDep = Annotated[PortalSettings, Depends(_settings)]
