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
    invitation_lifetime_seconds: int = Field(
        default=7 * 24 * 3600, gt=0, description="How long an invitation link works"
    )
    password_reset_lifetime_seconds: int = Field(default=3600, gt=0, description="How long a password reset link works")
    import_max_upload_bytes: int = Field(default=2 * GIB, gt=0, description="Largest import file accepted")
    import_batch_size: int = Field(default=5000, ge=1, le=50_000, description="Rows per import transaction")
    import_sync_rows: int = Field(
        default=50_000, ge=0, description="Imports of up to this many rows answer when done; longer ones run as a job"
    )

    password_hash_threads: int = Field(
        default=2, ge=1, le=64, description="Threads hashing and verifying passwords (argon2), off the event loop"
    )
    # Failed logins in a row that cost nothing; then each one makes the next attempt wait, doubling from
    # login_first_delay_seconds up to login_max_delay_seconds (429 with Retry-After meanwhile).
    login_free_failures_per_account: int = Field(default=5, ge=1)
    login_free_failures_per_address: int = Field(default=20, ge=1)
    login_first_delay_seconds: float = Field(default=1.0, gt=0)
    login_max_delay_seconds: float = Field(default=900.0, gt=0)
    login_failures_kept_seconds: float = Field(
        default=3600.0, gt=0, description="A failed login older than this no longer counts"
    )

    @model_validator(mode="after")
    def _production_needs_a_signing_key(self) -> "RecordsSettings":
        if self.environment == "production" and self.jwt_private_key_file is None:
            raise ValueError("production needs jwt_private_key_file; a generated key is for development only")
        return self
