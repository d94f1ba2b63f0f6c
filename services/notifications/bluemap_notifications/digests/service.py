"""Digest use cases: gather new records per recipient (set-based), and turn a closed window into one email."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.contacts.service import unique_addresses
from bluemap_notifications.digests.models import PUBLISHED_ALONE, Audience, DigestItem, RecordDigest
from bluemap_notifications.digests.repository import WINDOW_KEY, DigestRepository
from bluemap_notifications.emails.models import Email
from bluemap_notifications.emails.rendering import Addressee, NewRecord, render_new_records
from bluemap_notifications.emails.service import RECORD_PUBLISHED, add_new, new_email
from bluemap_notifications.follows.models import Follow
from bluemap_notifications.follows.rendering import render_followed_records
from bluemap_notifications.follows.repository import FollowRepository
from bluemap_notifications.follows.service import follower_purpose
from bluemap_shared.events.catalog import RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.ids import uuid7

log = structlog.get_logger()


async def gather_published(
    session: AsyncSession, envelopes: Sequence[Envelope[RecordPublished]], *, now: datetime
) -> int:
    """Put each new record in the open window of its enterprise and of each follower; how many items were new.

    Set-based: one insert of the items (ON CONFLICT DO NOTHING, so a record arriving again adds nothing),
    one upsert of the windows that got new items. Runs in the caller's transaction, with its inbox rows.
    """
    items: list[dict[str, Any]] = []
    windows: dict[tuple[Any, ...], dict[str, Any]] = {}
    followers = await _followers(session, envelopes)
    for envelope in envelopes:
        event = envelope.data
        enterprise = event.enterprise
        addresses = unique_addresses(enterprise.registered_emails)
        recipients: list[tuple[Audience, Any, list[str]]] = []
        if addresses:
            recipients.append((Audience.ENTERPRISE, enterprise.enterprise_id, addresses))
        else:
            log.info(
                "email.no_recipient",
                purpose=RECORD_PUBLISHED,
                enterprise_id=str(enterprise.enterprise_id),
                record_id=str(event.record_id),
            )
        recipients += [
            (Audience.FOLLOWER, follow.id, [follow.email])
            for follow in followers.get((envelope.tenant_id, enterprise.enterprise_id), [])
        ]
        import_id = event.import_id or PUBLISHED_ALONE
        for audience, recipient_id, to in recipients:
            key = (envelope.tenant_id, audience.value, recipient_id, import_id)
            items.append(_item(envelope, key))
            # The latest event's addresses and names are the window's (a batch is in order).
            windows[key] = {
                **dict(zip(WINDOW_KEY, key, strict=True)),
                "enterprise_id": enterprise.enterprise_id,
                "enterprise_name": enterprise.name,
                "enterprise_name_en": enterprise.name_en,
                "recipients": to,
                "opened_at": now,
                "last_item_at": now,
            }
    if not items:
        return 0
    repository = DigestRepository(session)
    inserted = await repository.add_items(items)
    opened_by: dict[tuple[Any, ...], Any] = {}
    for row in inserted:
        opened_by.setdefault(tuple(getattr(row, name) for name in WINDOW_KEY), row.cause_event_id)
    # Only windows that gained an item are opened or kept open: a record seen before opens nothing.
    await repository.open_windows(
        [
            {**windows[key], "id": uuid7(), "opened_by_event_id": cause, "closed_at": None, "email_id": None}
            for key, cause in opened_by.items()
        ]
    )
    log.info("digest.items_added", items=len(inserted), duplicates=len(items) - len(inserted), windows=len(opened_by))
    return len(inserted)


async def _followers(
    session: AsyncSession, envelopes: Sequence[Envelope[RecordPublished]]
) -> dict[tuple[str, Any], list[Follow]]:
    """The follows of the batch's enterprises, by (tenant, enterprise): one query per tenant."""
    wanted: dict[str, set[Any]] = {}
    for envelope in envelopes:
        wanted.setdefault(envelope.tenant_id, set()).add(envelope.data.enterprise.enterprise_id)
    found: dict[tuple[str, Any], list[Follow]] = {}
    for tenant_id, enterprise_ids in wanted.items():
        for follow in await FollowRepository(session).followers_of(tenant_id, enterprise_ids):
            found.setdefault((tenant_id, follow.enterprise_id), []).append(follow)
    return found


def _item(envelope: Envelope[RecordPublished], key: tuple[Any, ...]) -> dict[str, Any]:
    event = envelope.data
    return {
        "id": uuid7(),
        **dict(zip(WINDOW_KEY, key, strict=True)),
        "record_id": event.record_id,
        "cause_event_id": envelope.id,
        "digest_id": None,
        "record_type": event.record_type,
        "explainable": event.explainable,
        "year": event.year,
        "source_title": event.source_title,
        "issuing_authority": event.issuing_authority,
        "issued_on": event.issued_on,
        "source_url": event.source_url,
        "explanation_due_on": event.explanation_due_on,
    }


def _new_record(item: DigestItem) -> NewRecord:
    return NewRecord(
        record_type=item.record_type,
        explainable=item.explainable,
        year=item.year,
        source_title=item.source_title,
        issuing_authority=item.issuing_authority,
        issued_on=item.issued_on,
        source_url=item.source_url,
        explanation_due_on=item.explanation_due_on,
    )


async def close(
    session: AsyncSession,
    digests: Sequence[RecordDigest],
    *,
    now: datetime,
    portal_base_url: str,
    max_listed: int,
) -> list[Email]:
    """Close the claimed windows: each takes its items and queues one email (its first event is the cause)."""
    repository = DigestRepository(session)
    await repository.claim_items([digest.id for digest in digests])
    items: dict[Any, list[NewRecord]] = {}
    for item in await repository.items_of([digest.id for digest in digests]):
        items.setdefault(item.digest_id, []).append(_new_record(item))
    following: set[Any] = set()
    for tenant_id in {d.tenant_id for d in digests if d.audience == Audience.FOLLOWER}:
        following |= await FollowRepository(session).existing(
            tenant_id, [d.recipient_id for d in digests if d.tenant_id == tenant_id and d.audience == Audience.FOLLOWER]
        )
    drafts: list[tuple[RecordDigest, Email]] = []
    for digest in digests:
        digest.closed_at = now
        session.add(digest)
        records = items.get(digest.id, [])
        if not records:
            continue
        if digest.audience == Audience.FOLLOWER and digest.recipient_id not in following:
            log.info("digest.unfollowed", digest_id=str(digest.id), records=len(records))
            continue
        drafts.append((digest, _email(digest, records, portal_base_url=portal_base_url, max_listed=max_listed)))
        log.info("digest.closed", digest_id=str(digest.id), audience=digest.audience, records=len(records))
    queued = await add_new(session, [email for _, email in drafts])
    inserted = {email.id for email in queued}
    for digest, email in drafts:
        if email.id in inserted:
            digest.email_id = email.id
    return queued


def _email(digest: RecordDigest, records: list[NewRecord], *, portal_base_url: str, max_listed: int) -> Email:
    if digest.audience == Audience.ENTERPRISE:
        purpose = RECORD_PUBLISHED
        rendered = render_new_records(
            digest.enterprise_id,
            records,
            to=Addressee(digest.enterprise_name, digest.enterprise_name_en),
            portal_base_url=portal_base_url,
            max_listed=max_listed,
        )
    else:
        purpose = follower_purpose(digest.recipient_id)
        rendered = render_followed_records(
            digest.enterprise_id,
            records,
            name=digest.enterprise_name,
            name_en=digest.enterprise_name_en,
            portal_base_url=portal_base_url,
            max_listed=max_listed,
        )
    return new_email(
        digest.tenant_id,
        purpose,
        digest.opened_by_event_id,
        rendered,
        recipients=list(digest.recipients),
        enterprise_id=digest.enterprise_id,
    )
