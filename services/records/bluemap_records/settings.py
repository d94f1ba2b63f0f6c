"""Records service settings (env prefix BLUEMAP_RECORDS_)."""

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from bluemap_shared.settings import ServiceSettings

GIB = 1024**3


class RecordsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BLUEMAP_RECORDS_", extra="ignore")

    port: int = 8101
    jwt_private_key_file: Path | None = None
    token_lifetime_seconds: int = 3600
    default_tenant: str = "ipe"
    import_max_upload_bytes: int = Field(default=2 * GIB, gt=0, description="Largest import file accepted")
    import_batch_size: int = Field(default=5000, ge=1, le=50_000, description="Rows per import transaction")
    import_sync_rows: int = Field(
        default=50_000, ge=0, description="Imports of up to this many rows answer when done; longer ones run as a job"
    )

    @model_validator(mode="after")
    def _production_needs_a_signing_key(self) -> "RecordsSettings":
        if self.environment == "production" and self.jwt_private_key_file is None:
            raise ValueError("production needs jwt_private_key_file; a generated key is for development only")
        return self
