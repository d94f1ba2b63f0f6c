"""The explanations service's workflow events move records through their lifecycle (no other service's)."""

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.records.lifecycle import Trigger
from bluemap_records.records.service import advance
from bluemap_shared.events.catalog import (
    ExplanationPublished,
    ExplanationRejected,
    ExplanationSubmitted,
    SubmissionReviewed,
    SubmissionSigned,
)
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging import EventConsumer

_REVIEWED = {
    "published": Trigger.SUBMISSION_PUBLISHED,
    "returned": Trigger.SUBMISSION_RETURNED,
    "scan_refused": Trigger.SCAN_REFUSED,
}


def register_handlers(consumer: EventConsumer) -> None:
    """Subscribe the records service to the workflow events (each runs in its inbox transaction)."""

    @consumer.on(ExplanationSubmitted)
    async def explanation_submitted(session: AsyncSession, envelope: Envelope[ExplanationSubmitted]) -> None:
        event = envelope.data
        for explanation in event.explanations:
            await advance(
                session,
                envelope.tenant_id,
                explanation.record_id,
                Trigger.EXPLANATION_SUBMITTED,
                enterprise_id=event.enterprise.enterprise_id,
                cause_event_id=envelope.id,
                actor=event.submitted_by,
            )

    @consumer.on(SubmissionSigned)
    async def submission_signed(session: AsyncSession, envelope: Envelope[SubmissionSigned]) -> None:
        event = envelope.data
        for record_id in event.record_ids:
            await advance(
                session,
                envelope.tenant_id,
                record_id,
                Trigger.SUBMISSION_SIGNED,
                enterprise_id=event.enterprise_id,
                cause_event_id=envelope.id,
            )

    @consumer.on(SubmissionReviewed)
    async def submission_reviewed(session: AsyncSession, envelope: Envelope[SubmissionReviewed]) -> None:
        event = envelope.data
        for item in event.items:
            await advance(
                session,
                envelope.tenant_id,
                item.record_id,
                _REVIEWED[event.outcome],
                enterprise_id=event.enterprise_id,
                cause_event_id=envelope.id,
                actor=event.reviewed_by,
                reason=item.comment or event.comment or event.scan_comment,
            )

    # v1 events, sent one explanation at a time before the whole-submission review, may still be
    # in flight after an upgrade; explanations now sends SubmissionReviewed (and v2 explanation events).
    @consumer.on(ExplanationPublished)
    async def explanation_published(session: AsyncSession, envelope: Envelope[ExplanationPublished]) -> None:
        event = envelope.data
        await advance(
            session,
            envelope.tenant_id,
            event.record_id,
            Trigger.EXPLANATION_PUBLISHED,
            enterprise_id=event.enterprise_id,
            cause_event_id=envelope.id,
            actor=event.reviewed_by,
            reason=event.comment,
        )

    @consumer.on(ExplanationRejected)
    async def explanation_rejected(session: AsyncSession, envelope: Envelope[ExplanationRejected]) -> None:
        event = envelope.data
        await advance(
            session,
            envelope.tenant_id,
            event.record_id,
            Trigger.EXPLANATION_REJECTED,
            enterprise_id=event.enterprise_id,
            cause_event_id=envelope.id,
            actor=event.reviewed_by,
            reason=event.comment,
        )
