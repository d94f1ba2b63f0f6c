"""The email queue as Prometheus gauges, read at each scrape."""

from sqlmodel import col, func, select

from bluemap_notifications.emails.models import Email, EmailStatus
from bluemap_shared.runtime import ServiceRuntime

# Sent emails are history, not queue: counting them would scan a table that only grows.
QUEUED_STATES = (EmailStatus.PENDING, EmailStatus.FAILED)


def register_email_metrics(runtime: ServiceRuntime) -> None:
    """bluemap_email_queue{state}: emails waiting to be sent (pending) and given up on (failed)."""
    queue = runtime.metrics.gauge("bluemap_email_queue", "Emails waiting (pending) or given up on (failed)", ("state",))

    async def sample_email_queue() -> None:
        async with runtime.sessionmaker() as session:
            counts = dict(
                (
                    await session.exec(
                        select(Email.status, func.count())
                        .where(col(Email.status).in_([s.value for s in QUEUED_STATES]))
                        .group_by(col(Email.status))
                    )
                ).all()
            )
        for state in QUEUED_STATES:
            queue.labels(state.value).set(counts.get(state.value, 0))

    runtime.metrics.sample_with(sample_email_queue)
