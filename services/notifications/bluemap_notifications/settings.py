"""Notifications service settings (env prefix BLUEMAP_NOTIFICATIONS_)."""

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from bluemap_shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BLUEMAP_NOTIFICATIONS_", extra="ignore")

    port: int = 8104
    # Retention in days (None keeps for ever): emails sent or given up on and closed digests; chat
    # messages, and then conversations left without any.
    retention_emails_days: int | None = Field(default=180, ge=1)
    retention_chat_days: int | None = Field(default=730, ge=1)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_tls: bool = False
    # Production refuses SMTP without TLS (STARTTLS or implicit); a relay on the same host or network may be allowed.
    allow_plaintext_smtp: bool = False
    smtp_timeout: float = Field(default=30.0, gt=0)
    mail_from: str = "Blue Map 蔚蓝地图 <noreply@bluemap.example.org>"
    portal_base_url: str = "http://127.0.0.1:8000"
    send_max_attempts: int = Field(default=8, ge=1)
    send_backoff_seconds: float = Field(default=1.0, gt=0, description="First retry delay; doubles, capped at 5 min")
    send_poll_interval: float = Field(default=1.0, gt=0)
    send_batch_size: int = Field(default=10, ge=1, le=100)
    send_concurrency: int = Field(
        default=4, ge=1, le=50, description="Emails sent at once on PostgreSQL (SQLite sends one at a time)"
    )
    attachment_timeout: float = Field(default=30.0, gt=0, description="Seconds to download one attachment")
    attachment_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1, description="Larger downloads are refused")
    reminder_days_before: int = Field(default=3, ge=0, description="Days before the deadline of the first reminder")
    reminder_poll_interval: float = Field(default=60.0, gt=0, description="Seconds between looks for due reminders")
    reminder_batch_size: int = Field(default=50, ge=1, le=1000)
    staff_email: str = Field(default="", description="Where unanswered Live Chat questions are emailed; none if empty")
    chat_unanswered_minutes: float = Field(default=10.0, gt=0, description="Minutes before staff are emailed")
    chat_alert_interval: float = Field(default=30.0, gt=0, description="Seconds between looks for unanswered chats")
    chat_stream_poll: float = Field(default=1.0, gt=0, description="Seconds between a chat stream's looks")
    chat_stream_max_seconds: float = Field(default=300.0, gt=0, description="A stream ends; EventSource reconnects")
    digest_quiet_seconds: float = Field(
        default=60.0, gt=0, description="A window of new records is emailed once no record joined it for this long"
    )
    digest_max_window_seconds: float = Field(
        default=600.0, gt=0, description="A window still receiving records is emailed this long after it opened"
    )
    digest_poll_interval: float = Field(default=5.0, gt=0, description="Seconds between looks for quiet windows")
    digest_batch_size: int = Field(default=50, ge=1, le=1000, description="Windows closed in one transaction")
    digest_max_listed: int = Field(default=100, ge=1, description="Records one email lists; it counts the rest")

    @property
    def public_urls(self) -> list[str]:
        return [self.public_base_url, self.portal_base_url]

    @model_validator(mode="after")
    def _production_refuses_plaintext_smtp(self) -> "NotificationsSettings":
        if (
            self.environment == "production"
            and not (self.smtp_starttls or self.smtp_tls)
            and not self.allow_plaintext_smtp
        ):
            raise ValueError(
                "production needs smtp_starttls or smtp_tls (mail and its password travel in clear otherwise), "
                "or allow_plaintext_smtp=true said explicitly"
            )
        return self
