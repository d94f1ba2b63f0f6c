"""Composition root of the notifications service."""

from dataclasses import dataclass

from fastapi import FastAPI

from bluemap_notifications.chat.alerts import UnansweredAlerts
from bluemap_notifications.chat.endpoints import StreamSettings
from bluemap_notifications.chat.endpoints import router as chat_router
from bluemap_notifications.deadlines.scheduler import ReminderScheduler
from bluemap_notifications.digests.closer import DigestCloser
from bluemap_notifications.emails.attachments import AttachmentFetcher
from bluemap_notifications.emails.delivery import RetryPolicy
from bluemap_notifications.emails.dispatcher import EmailDispatcher, Mailer
from bluemap_notifications.emails.endpoints import router as emails_router
from bluemap_notifications.emails.metrics import register_email_metrics
from bluemap_notifications.follows.endpoints import router as follows_router
from bluemap_notifications.handlers import register_handlers
from bluemap_notifications.retention import retention_policies
from bluemap_notifications.settings import NotificationsSettings
from bluemap_shared.auth import TokenVerifier
from bluemap_shared.cli import transport_for
from bluemap_shared.http import create_service_app
from bluemap_shared.mail import SmtpMailer
from bluemap_shared.messaging.transport import Transport
from bluemap_shared.runtime import ServiceRuntime

NAME = "notifications"


@dataclass
class NotificationsService:
    runtime: ServiceRuntime
    app: FastAPI
    dispatcher: EmailDispatcher
    reminders: ReminderScheduler
    chat_alerts: UnansweredAlerts
    digests: DigestCloser


def bootstrap(
    settings: NotificationsSettings | None = None,
    transport: Transport | None = None,
    *,
    token_verifier: TokenVerifier | None = None,
    mailer: Mailer | None = None,
) -> NotificationsService:
    """Wire the service; token_verifier and mailer replace the JWKS over HTTP and SMTP (embedded mode, tests)."""
    settings = settings or NotificationsSettings()
    runtime = ServiceRuntime.build(
        NAME,
        "bluemap_notifications",
        settings,
        transport or transport_for(settings, f"bluemap-{NAME}"),
        token_verifier=token_verifier,
    )
    register_email_metrics(runtime)
    dispatcher = EmailDispatcher(
        runtime.sessionmaker,
        mailer
        or SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            start_tls=settings.smtp_starttls,
            use_tls=settings.smtp_tls,
            timeout=settings.smtp_timeout,
        ),
        mail_from=settings.mail_from,
        policy=RetryPolicy(max_attempts=settings.send_max_attempts, backoff_seconds=settings.send_backoff_seconds),
        poll_interval=settings.send_poll_interval,
        batch_size=settings.send_batch_size,
        # SQLite has no SKIP LOCKED: two senders there could claim the same email.
        concurrency=settings.send_concurrency if runtime.engine.dialect.name == "postgresql" else 1,
        fetcher=AttachmentFetcher(timeout=settings.attachment_timeout, max_bytes=settings.attachment_max_bytes),
        tracer_provider=runtime.tracer_provider,
    )
    reminders = ReminderScheduler(
        runtime.sessionmaker,
        portal_base_url=settings.portal_base_url,
        wake_dispatcher=dispatcher.wake,
        poll_interval=settings.reminder_poll_interval,
        batch_size=settings.reminder_batch_size,
    )
    chat_alerts = UnansweredAlerts(
        runtime.sessionmaker,
        staff_email=settings.staff_email,
        minutes=settings.chat_unanswered_minutes,
        portal_base_url=settings.portal_base_url,
        wake_dispatcher=dispatcher.wake,
        poll_interval=settings.chat_alert_interval,
    )
    digests = DigestCloser(
        runtime.sessionmaker,
        portal_base_url=settings.portal_base_url,
        wake_dispatcher=dispatcher.wake,
        quiet_seconds=settings.digest_quiet_seconds,
        max_window_seconds=settings.digest_max_window_seconds,
        poll_interval=settings.digest_poll_interval,
        batch_size=settings.digest_batch_size,
        max_listed=settings.digest_max_listed,
    )
    register_handlers(
        runtime.consumer,
        portal_base_url=settings.portal_base_url,
        reminder_days_before=settings.reminder_days_before,
        wake_dispatcher=dispatcher.wake,
    )

    # Readiness stays database + broker: with SMTP down, mail waits in the table and is retried.
    async def email_dispatcher() -> None:
        await dispatcher.run()

    async def reminder_scheduler() -> None:
        await reminders.run()

    async def chat_unanswered_alerts() -> None:
        await chat_alerts.run()

    async def digest_closer() -> None:
        await digests.run()

    runtime.retention.policies += retention_policies(settings)
    runtime.background += [email_dispatcher, reminder_scheduler, chat_unanswered_alerts, digest_closer]
    app = create_service_app(
        runtime,
        title="Blue Map notifications service",
        description=(
            "Emails to enterprises about what concerns them (records, deadlines, explanation PDFs, reviews), "
            "sent with retries, and their delivery status."
        ),
        routers=[emails_router, follows_router, chat_router],
    )
    app.state.chat_stream = StreamSettings(settings.chat_stream_poll, settings.chat_stream_max_seconds)
    return NotificationsService(
        runtime=runtime,
        app=app,
        dispatcher=dispatcher,
        reminders=reminders,
        chat_alerts=chat_alerts,
        digests=digests,
    )
