"""Explanations service settings (env prefix BLUEMAP_EXPLANATIONS_)."""

from pydantic_settings import SettingsConfigDict

from bluemap_shared.settings import ServiceSettings


class ExplanationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BLUEMAP_EXPLANATIONS_", extra="ignore")

    port: int = 8102
