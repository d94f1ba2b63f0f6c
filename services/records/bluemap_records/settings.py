"""Records service settings (env prefix BLUEMAP_RECORDS_)."""

from pathlib import Path

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from bluemap_shared.settings import ServiceSettings


class RecordsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BLUEMAP_RECORDS_", extra="ignore")

    port: int = 8101
    jwt_private_key_file: Path | None = None
    token_lifetime_seconds: int = 3600
    default_tenant: str = "ipe"

    @model_validator(mode="after")
    def _production_needs_a_signing_key(self) -> "RecordsSettings":
        if self.environment == "production" and self.jwt_private_key_file is None:
            raise ValueError("production needs jwt_private_key_file; a generated key is for development only")
        return self
