"""Event handlers: which integration events update the read models and queue which emails."""

from collections.abc import Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.clock import china_today
from bluemap_notifications.contacts.service import project_snapshot, project_snapshots
from bluemap_notifications.deadlines import service as deadlines
from bluemap_notifications.digests import service as digests
from bluemap_notifications.emails import service as emails
from bluemap_notifications.emails.models import Email
from bluemap_notifications.follows import rendering as followed
from bluemap_notifications.follows.service import queue_for_followers
from bluemap_notifications.webhooks import service as webhooks
from bluemap_notifications.webhooks.rendering import render_subscription_disabled
from bluemap_shared.db import on_commit, utcnow
from bluemap_shared.events.catalog import (
    DocumentPublished,
    DocumentRejected,
    EnterpriseEmailChangeRequested,
    EnterpriseRegistered,
    EnterpriseUpdated,
    ExplanationPublished,
    ExplanationPublishedV2,
    ExplanationRejected,
    ExplanationRejectedV2,
    ExplanationSubmitted,
    PasswordResetRequested,
    PdfRendered,
    RecordPublished,
    RecordRetracted,
    RecordStatusChanged,
    RecordUpdated,
    UserInvited,
    WebhookSubscriptionDisabled,
)
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.events.seen import SnapshotSeen
from bluemap_shared.messaging import EventConsumer

WEBHOOK_SUBSCRIPTION_DISABLED = "webhook-subscription-disabled"


def register_handlers(
    consumer: EventConsumer,
    *,
    portal_base_url: str,
    reminder_days_before: int,
    wake_dispatcher: Callable[[], None],
    wake_webhooks: Callable[[], None],
) -> None:
    """Subscribe the contacts, deadline, email and webhook handlers to the consumer."""

    def queued(session: AsyncSession, email: Email | None) -> None:
        if email is not None:
            # Woken only once the row is committed, so the dispatcher can see it.
            on_commit(session, wake_dispatcher)

    async def tell_followers(
        session: AsyncSession, envelope: Envelope[Any], update: followed.FollowedUpdate, **names: str | None
    ) -> None:
        emails = await queue_for_followers(
            session, envelope.tenant_id, update, cause_id=envelope.id, portal_base_url=portal_base_url, **names
        )
        if emails:
            on_commit(session, wake_dispatcher)

    async def tell_partners(session: AsyncSession, envelopes: list[Envelope[Any]]) -> None:
        """Queue the public changes to the partners' endpoints that subscribed to them."""
        if await webhooks.queue_changes(session, envelopes, now=utcnow()):
            on_commit(session, wake_webhooks)

    @consumer.on_batch(EnterpriseRegistered)
    async def on_enterprises_registered(session: AsyncSession, envelopes: list[Envelope[EnterpriseRegistered]]) -> None:
        """Learn new enterprises' names and registered addresses."""
        await project_snapshots(session, [SnapshotSeen.of(e) for e in envelopes])
        await webhooks.project_enterprises(session, [(e.tenant_id, e.data.enterprise, e.time) for e in envelopes])

    @consumer.on_batch(EnterpriseUpdated)
    async def on_enterprises_updated(session: AsyncSession, envelopes: list[Envelope[EnterpriseUpdated]]) -> None:
        """Take enterprises' new names, addresses and status unless a later event told them already."""
        await project_snapshots(session, [SnapshotSeen.of(e)._replace(status=e.data.status) for e in envelopes])
        await webhooks.project_enterprises(session, [(e.tenant_id, e.data.enterprise, e.time) for e in envelopes])

    @consumer.on(EnterpriseEmailChangeRequested)
    async def on_email_change_requested(
        session: AsyncSession, envelope: Envelope[EnterpriseEmailChangeRequested]
    ) -> None:
        """Mail the confirmation link to the new address, and tell the replaced one."""
        if await emails.queue_email_change(session, envelope, portal_base_url=portal_base_url):
            on_commit(session, wake_dispatcher)

    @consumer.on(UserInvited)
    async def on_user_invited(session: AsyncSession, envelope: Envelope[UserInvited]) -> None:
        """Mail the invitee the link that sets their password."""
        queued(session, await emails.queue_user_invitation(session, envelope, portal_base_url=portal_base_url))

    @consumer.on(PasswordResetRequested)
    async def on_password_reset_requested(session: AsyncSession, envelope: Envelope[PasswordResetRequested]) -> None:
        """Mail the reset link to the account's address."""
        queued(session, await emails.queue_password_reset(session, envelope, portal_base_url=portal_base_url))

    @consumer.on_batch(RecordPublished)
    async def on_records_published(session: AsyncSession, envelopes: list[Envelope[RecordPublished]]) -> None:
        """Put new records in their enterprises' and followers' digests; schedule the reminders of their deadlines."""
        await project_snapshots(session, [SnapshotSeen.of(e) for e in envelopes])
        await deadlines.track_published_records(
            session,
            [(e.tenant_id, e.data) for e in envelopes],
            days_before=reminder_days_before,
            today=china_today(),
        )
        await digests.gather_published(session, envelopes, now=utcnow())
        await tell_partners(session, envelopes)

    @consumer.on_batch(RecordUpdated)
    async def on_records_updated(session: AsyncSession, envelopes: list[Envelope[RecordUpdated]]) -> None:
        await project_snapshots(session, [SnapshotSeen.of(e) for e in envelopes])
        await deadlines.track_updated_records(
            session,
            [(e.tenant_id, e.data) for e in envelopes],
            days_before=reminder_days_before,
            today=china_today(),
        )
        await tell_partners(session, envelopes)

    @consumer.on(RecordRetracted)
    async def on_record_retracted(session: AsyncSession, envelope: Envelope[RecordRetracted]) -> None:
        await deadlines.track_retracted(session, envelope.tenant_id, envelope.data)
        record = await deadlines.get_record(session, envelope.tenant_id, envelope.data.record_id)
        queued(session, await emails.queue_record_lifecycle(session, envelope, record, portal_base_url=portal_base_url))
        await tell_partners(session, [envelope])

    @consumer.on(RecordStatusChanged)
    async def on_record_status_changed(session: AsyncSession, envelope: Envelope[RecordStatusChanged]) -> None:
        await deadlines.track_status_changed(
            session, envelope.tenant_id, envelope.data, days_before=reminder_days_before, today=china_today()
        )
        record = await deadlines.get_record(session, envelope.tenant_id, envelope.data.record_id)
        queued(session, await emails.queue_record_lifecycle(session, envelope, record, portal_base_url=portal_base_url))
        await tell_partners(session, [envelope])

    @consumer.on(ExplanationSubmitted)
    async def on_explanation_submitted(session: AsyncSession, envelope: Envelope[ExplanationSubmitted]) -> None:
        """The submission's snapshot is the freshest word on where its PDF must go."""
        await project_snapshot(session, envelope.tenant_id, envelope.data.enterprise, envelope.time)

    @consumer.on(PdfRendered)
    async def on_pdf_rendered(session: AsyncSession, envelope: Envelope[PdfRendered]) -> None:
        """Email the public explanation PDF to sign, seal, scan and upload."""
        queued(session, await emails.queue_explanation_pdf(session, envelope, portal_base_url=portal_base_url))

    @consumer.on(ExplanationRejectedV2)
    @consumer.on(ExplanationRejected)  # v1: may still be in flight from before the whole-submission review
    async def on_explanation_rejected(session: AsyncSession, envelope: Envelope[ExplanationRejected]) -> None:
        record = await deadlines.get_record(session, envelope.tenant_id, envelope.data.record_id)
        queued(
            session,
            await emails.queue_explanation_rejected(session, envelope, record, portal_base_url=portal_base_url),
        )

    @consumer.on(ExplanationPublishedV2)
    @consumer.on(ExplanationPublished)  # v1: may still be in flight from before the whole-submission review
    async def on_explanation_published(session: AsyncSession, envelope: Envelope[ExplanationPublished]) -> None:
        record = await deadlines.get_record(session, envelope.tenant_id, envelope.data.record_id)
        queued(
            session,
            await emails.queue_explanation_published(session, envelope, record, portal_base_url=portal_base_url),
        )
        await tell_followers(session, envelope, followed.explanation_update(envelope.data))
        await tell_partners(session, [envelope])

    @consumer.on(DocumentRejected)
    async def on_document_rejected(session: AsyncSession, envelope: Envelope[DocumentRejected]) -> None:
        queued(session, await emails.queue_document_rejected(session, envelope, portal_base_url=portal_base_url))

    @consumer.on(DocumentPublished)
    async def on_document_published(session: AsyncSession, envelope: Envelope[DocumentPublished]) -> None:
        queued(session, await emails.queue_document_published(session, envelope, portal_base_url=portal_base_url))
        await tell_followers(session, envelope, followed.document_update(envelope.data))
        await tell_partners(session, [envelope])

    @consumer.on(WebhookSubscriptionDisabled)
    async def on_webhook_subscription_disabled(
        session: AsyncSession, envelope: Envelope[WebhookSubscriptionDisabled]
    ) -> None:
        """Email the partner that its endpoint was disabled, through the email dispatcher like any email."""
        queued(
            session,
            await emails.queue_to_addresses(
                session,
                tenant_id=envelope.tenant_id,
                purpose=WEBHOOK_SUBSCRIPTION_DISABLED,
                cause_id=envelope.id,
                rendered=render_subscription_disabled(envelope.data),
                recipients=[envelope.data.partner_email],
                enterprise_id=None,
            ),
        )
