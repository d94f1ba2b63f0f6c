"""The render queue and render times as Prometheus metrics."""

from prometheus_client import Histogram
from sqlmodel import col, func, select

from bluemap_documents.submissions.models import RenderState, Submission
from bluemap_shared.runtime import ServiceRuntime


def register_render_metrics(runtime: ServiceRuntime) -> Histogram:
    """bluemap_render_queue (submissions waiting for their PDF); returns bluemap_render_duration_seconds."""
    queue = runtime.metrics.gauge("bluemap_render_queue", "Submissions waiting for their PDF", ())

    async def sample_render_queue() -> None:
        async with runtime.sessionmaker() as session:
            waiting = (
                await session.exec(
                    select(func.count()).where(col(Submission.render_state) == RenderState.PENDING.value)
                )
            ).one()
        queue.set(waiting)

    runtime.metrics.sample_with(sample_render_queue)
    return runtime.metrics.histogram(
        "bluemap_render_duration_seconds", "Time to render and store one public explanation PDF", ()
    )
