"""Public portal settings (env prefix BLUEMAP_PORTAL_)."""

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from bluemap_shared.settings import ServiceSettings


class PortalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BLUEMAP_PORTAL_", extra="ignore")

    port: int = 8100
    default_tenant: str = "ipe"
    # One deployment, several operators: the Host a visitor asked for picks the tenant,
    # e.g. BLUEMAP_PORTAL_TENANT_HOSTS='{"map.ipe.org.cn": "ipe", "bluemap.example.org": "demo"}'.
    tenant_hosts: dict[str, str] = {}

    @field_validator("tenant_hosts")
    @classmethod
    def _lower_case_hosts(cls, value: dict[str, str]) -> dict[str, str]:
        return {host.strip().lower(): tenant for host, tenant in value.items()}
