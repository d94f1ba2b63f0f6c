"""Following use cases; the caller's transaction commits them."""

from collections.abc import Sequence
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.contacts.service import get_contact, require_enterprise
from bluemap_notifications.emails.models import Email
from bluemap_notifications.emails.service import queue_to_addresses
from bluemap_notifications.follows.models import Follow
from bluemap_notifications.follows.rendering import FollowedUpdate, render_followed_update
from bluemap_notifications.follows.repository import FollowRepository
from bluemap_notifications.follows.schemas import FollowPublic
from bluemap_shared.auth import Principal
from bluemap_shared.problems import InvalidInput

log = structlog.get_logger()

FOLLOWING = "following"


def follower_purpose(follow_id: UUID) -> str:
    """One email per follow and cause: the follow id makes the emails' unique key recipient-aware."""
    return f"{FOLLOWING}:{follow_id}"


async def follow(session: AsyncSession, principal: Principal, enterprise_id: UUID) -> tuple[Follow, bool]:
    """Follow an enterprise (again); (the follow, whether it is new). The address is refreshed from the token."""
    if not principal.email:
        raise InvalidInput("Your account has no email address to send updates to.")
    await require_enterprise(session, principal.tenant_id, enterprise_id)
    repository = FollowRepository(session)
    new = Follow(
        tenant_id=principal.tenant_id, subject=principal.subject, email=principal.email, enterprise_id=enterprise_id
    )
    created = await repository.add_if_new(new)
    found = await repository.get(principal.tenant_id, principal.subject, enterprise_id)
    assert found is not None  # inserted now or before, and never deleted in between within this transaction
    if found.email != principal.email:
        found.email = principal.email
        session.add(found)
    if created:
        log.info("follow.created", follow_id=str(found.id), enterprise_id=str(enterprise_id))
    return found, created


async def unfollow(session: AsyncSession, principal: Principal, enterprise_id: UUID) -> bool:
    removed = await FollowRepository(session).remove(principal.tenant_id, principal.subject, enterprise_id)
    if removed:
        log.info("follow.removed", enterprise_id=str(enterprise_id))
    return removed


async def list_follows(session: AsyncSession, principal: Principal) -> list[FollowPublic]:
    rows = await FollowRepository(session).of_user(principal.tenant_id, principal.subject)
    listed = []
    for row, contact in rows:
        public = FollowPublic.model_validate(row)
        if contact is not None:
            public.enterprise_name = contact.name
            public.enterprise_name_en = contact.name_en
        listed.append(public)
    return listed


async def public_follow(session: AsyncSession, row: Follow) -> FollowPublic:
    public = FollowPublic.model_validate(row)
    contact = await get_contact(session, row.tenant_id, row.enterprise_id)
    if contact is not None:
        public.enterprise_name = contact.name
        public.enterprise_name_en = contact.name_en
    return public


async def queue_for_followers(
    session: AsyncSession,
    tenant_id: str,
    update: FollowedUpdate,
    *,
    cause_id: UUID,
    portal_base_url: str,
    name: str | None = None,
    name_en: str | None = None,
) -> Sequence[Email]:
    """Queue one email per follower of the enterprise; a redelivered cause queues none again."""
    followers = await FollowRepository(session).followers(tenant_id, update.enterprise_id)
    if not followers:
        return []
    if name is None:
        contact = await get_contact(session, tenant_id, update.enterprise_id)
        if contact is not None:
            name, name_en = contact.name, contact.name_en
    rendered = render_followed_update(update, name=name, name_en=name_en, portal_base_url=portal_base_url)
    queued = []
    for row in followers:
        email = await queue_to_addresses(
            session,
            tenant_id=tenant_id,
            purpose=follower_purpose(row.id),
            cause_id=cause_id,
            rendered=rendered,
            recipients=[row.email],
            enterprise_id=update.enterprise_id,
        )
        if email is not None:
            queued.append(email)
    return queued
