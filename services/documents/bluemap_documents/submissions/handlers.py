"""Subscriptions to the explanations service's Send Public Explanation and its review's outcome."""

from collections.abc import Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_documents.submissions import service
from bluemap_shared.db import on_commit
from bluemap_shared.events.catalog import ExplanationSubmitted, SubmissionReviewed
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging.inbox import EventConsumer


def register_handlers(consumer: EventConsumer, wake_renderer: Callable[[], None]) -> None:
    """Attach this context's handlers to the service's consumer."""

    @consumer.on(ExplanationSubmitted)
    async def on_explanation_submitted(session: AsyncSession, envelope: Envelope[ExplanationSubmitted]) -> None:
        if await service.receive_submission(session, envelope.tenant_id, envelope.data):
            on_commit(session, wake_renderer)

    @consumer.on(SubmissionReviewed)
    async def on_submission_reviewed(session: AsyncSession, envelope: Envelope[SubmissionReviewed]) -> None:
        await service.apply_review(session, envelope.tenant_id, envelope.data)
