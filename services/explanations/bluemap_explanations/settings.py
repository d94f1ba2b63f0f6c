"""Explanations service settings (env prefix BLUEMAP_EXPLANATIONS_)."""

from ipaddress import IPv4Network, IPv6Network

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from bluemap_shared.settings import ServiceSettings


class ExplanationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BLUEMAP_EXPLANATIONS_", extra="ignore")

    port: int = 8102
    trusted_proxies: list[IPv4Network | IPv6Network] = Field(
        default_factory=list,
        description="Proxies whose X-Forwarded-For is believed (JSON list of addresses or CIDRs); none by default",
    )
