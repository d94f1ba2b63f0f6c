"""Record projections, the public status and the enterprise page's grouping; the caller's transaction commits."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.clock import china_today
from bluemap_portal.documents.schemas import DocumentPublic
from bluemap_portal.explanations.schemas import ExplanationPublic
from bluemap_portal.record_types import ENTERPRISE_FEEDBACK, record_type, sort_key
from bluemap_portal.records.models import PortalRecord
from bluemap_portal.records.repository import RecordRepository
from bluemap_portal.records.schemas import RecordFilter, RecordGroup, RecordPublic
from bluemap_portal.site.page_cache import touch_pages
from bluemap_shared.events.catalog import RecordPublished, RecordRetracted, RecordStatusChanged, RecordUpdated
from bluemap_shared.problems import InvalidInput

AWAITING_EXPLANATION = "awaiting_explanation"
EXPLANATION_SUBMITTED = "explanation_submitted"
UNDER_REVIEW = "under_review"
OVERDUE = "overdue"
PUBLISHED = "published"
EXPLAINED = "explained"
RESOLVED = "resolved"
# The statuses the public sees and can filter by; "published" records need no explanation.
PUBLIC_STATUSES = (AWAITING_EXPLANATION, OVERDUE, UNDER_REVIEW, EXPLAINED, RESOLVED, PUBLISHED)


def display_status(status: str, explanation_due_on: date | None, today: date) -> str:
    """The status the public sees; overdue is computed when read, so it needs no event to become true."""
    if status == AWAITING_EXPLANATION and explanation_due_on is not None and explanation_due_on < today:
        return OVERDUE
    if status in (EXPLANATION_SUBMITTED, UNDER_REVIEW):
        return UNDER_REVIEW
    return status


def _content(tenant_id: str, event: RecordPublished | RecordUpdated) -> dict[str, Any]:
    return {
        "id": event.record_id,
        "tenant_id": tenant_id,
        "enterprise_id": event.enterprise.enterprise_id,
        "record_type": event.record_type,
        "year": event.year,
        "source_title": event.source_title,
        "issuing_authority": event.issuing_authority,
        "issued_on": event.issued_on,
        "source_url": event.source_url,
        "summary": event.summary,
        "status": AWAITING_EXPLANATION if event.explainable else PUBLISHED,
        "explanation_due_on": event.explanation_due_on if event.explainable else None,
    }


class WrittenRecord(NamedTuple):
    """A record row a projection wrote: what the pages showing it are found by."""

    enterprise_id: UUID
    record_type: str


async def project_records_published(
    session: AsyncSession, published: Sequence[tuple[str, RecordPublished]]
) -> list[WrittenRecord]:
    """Store or refresh the public copies of published records (tenant, event; distinct records); those written."""
    await _touch_many(session, [(t, e.record_id, e.enterprise.enterprise_id, (e.record_type,)) for t, e in published])
    written = await RecordRepository(session).upsert_published(
        [
            _content(tenant_id, event) | {"published_at": event.published_at, "revision": 0}
            for tenant_id, event in published
        ]
    )
    return [WrittenRecord(*row) for row in written]


async def project_records_updated(
    session: AsyncSession, updated: Sequence[tuple[str, RecordUpdated]]
) -> list[WrittenRecord]:
    """Show records' new content (a re-import; distinct records); status and visibility stay as they are."""
    # Enterprise Feedback names the record an explanation is about.
    await _touch_many(
        session,
        [(t, e.record_id, e.enterprise.enterprise_id, (e.record_type, ENTERPRISE_FEEDBACK)) for t, e in updated],
    )
    written = await RecordRepository(session).upsert_updated(
        # published_at only counts when the update is the first the portal hears of the record.
        [
            _content(tenant_id, event) | {"published_at": event.updated_at, "revision": event.revision}
            for tenant_id, event in updated
        ]
    )
    return [WrittenRecord(*row) for row in written]


async def project_record_retracted(session: AsyncSession, tenant_id: str, event: RecordRetracted) -> None:
    """Hide a record the operator withdrew."""
    await _touch(session, tenant_id, event.record_id, event.enterprise_id, ENTERPRISE_FEEDBACK)  # and its explanations
    await RecordRepository(session).retract(tenant_id, event.record_id, event.retracted_at)


async def project_status_changed(session: AsyncSession, tenant_id: str, event: RecordStatusChanged) -> None:
    await _touch(session, tenant_id, event.record_id, event.enterprise_id)
    await RecordRepository(session).change_status(
        tenant_id,
        event.record_id,
        event.status,
        event.changed_at,
        reason=event.reason,
        due_on=event.explanation_due_on,
    )


async def _touch(
    session: AsyncSession, tenant_id: str, record_id: UUID, enterprise_id: UUID, *record_types: str
) -> None:
    """Drop the pages of the record's enterprise and of its category, the one it had and the one it gets."""
    await _touch_many(session, [(tenant_id, record_id, enterprise_id, record_types)])


async def _touch_many(session: AsyncSession, changes: Sequence[tuple[str, UUID, UUID, Sequence[str]]]) -> None:
    """_touch for many records (tenant, record, enterprise, categories): one read of stored types per tenant."""
    by_tenant: dict[str, list[tuple[UUID, UUID, Sequence[str]]]] = defaultdict(list)
    for tenant_id, record_id, enterprise_id, record_types in changes:
        by_tenant[tenant_id].append((record_id, enterprise_id, record_types))
    for tenant_id, items in by_tenant.items():
        stored = await RecordRepository(session).get_many(tenant_id, {record_id for record_id, _, _ in items})
        touch_pages(
            session,
            tenant_id,
            enterprise_ids={enterprise_id for _, enterprise_id, _ in items},
            record_types={*(t for _, _, types in items for t in types), *(r.record_type for r in stored)},
        )


async def records_of(session: AsyncSession, tenant_id: str, enterprise_id: UUID) -> Sequence[PortalRecord]:
    return await RecordRepository(session).of_enterprise(tenant_id, enterprise_id)


def record_filter(*, region: str | None, year: int | None, status: str | None) -> RecordFilter:
    """A listing's filter; InvalidInput for a status the public cannot see."""
    if status and status not in PUBLIC_STATUSES:
        raise InvalidInput("Unknown status.", allowed=list(PUBLIC_STATUSES))
    return RecordFilter(region=region, year=year, status=status or None)


async def records_of_type(
    session: AsyncSession,
    tenant_id: str,
    code: str,
    *,
    where: RecordFilter | None = None,
    today: date,
    offset: int,
    limit: int,
) -> Sequence[PortalRecord]:
    return await RecordRepository(session).of_type(
        tenant_id, code, where=where, today=today, offset=offset, limit=limit
    )


async def count_of_type(session: AsyncSession, tenant_id: str, code: str, *, where: RecordFilter, today: date) -> int:
    return await RecordRepository(session).count_of_type(tenant_id, code, where=where, today=today)


async def years_of_type(session: AsyncSession, tenant_id: str, code: str) -> list[int]:
    return await RecordRepository(session).years_of_type(tenant_id, code)


async def latest(
    session: AsyncSession,
    tenant_id: str,
    *,
    record_type: str | None = None,
    enterprise_id: UUID | None = None,
    limit: int,
) -> Sequence[PortalRecord]:
    return await RecordRepository(session).latest(
        tenant_id, record_type=record_type, enterprise_id=enterprise_id, limit=limit
    )


async def of_enterprises(
    session: AsyncSession, tenant_id: str, enterprise_ids: Iterable[UUID]
) -> Sequence[PortalRecord]:
    return await RecordRepository(session).of_enterprises(tenant_id, set(enterprise_ids))


async def count_by_enterprise(session: AsyncSession, tenant_id: str, enterprise_ids: Iterable[UUID]) -> dict[UUID, int]:
    return await RecordRepository(session).count_by_enterprise(tenant_id, set(enterprise_ids))


async def get_many(session: AsyncSession, tenant_id: str, ids: Iterable[UUID]) -> Sequence[PortalRecord]:
    return await RecordRepository(session).get_many(tenant_id, set(ids))


def to_public(
    record: PortalRecord | RecordPublic,
    *,
    today: date,
    explanations: Sequence[ExplanationPublic] = (),
    documents: Sequence[DocumentPublic] = (),
) -> RecordPublic:
    """The public view of a record with its status as of today and what was published about it."""
    public = RecordPublic.model_validate(record, from_attributes=True)
    public.display_status = display_status(public.status, public.explanation_due_on, today)
    public.explanations = list(explanations)
    public.documents = list(documents)
    return public


def group_by_type(
    records: Iterable[PortalRecord | RecordPublic],
    *,
    today: date | None = None,
    explanations: Mapping[UUID, Sequence[ExplanationPublic]] | None = None,
    documents: Mapping[UUID, Sequence[DocumentPublic]] | None = None,
) -> list[RecordGroup]:
    """Records by type, types in the catalogue's order; each group keeps the given order."""
    today = today or china_today()
    groups: dict[str, list[RecordPublic]] = defaultdict(list)
    for record in records:
        groups[record.record_type].append(
            to_public(
                record,
                today=today,
                explanations=(explanations or {}).get(record.id, ()),
                documents=(documents or {}).get(record.id, ()),
            )
        )
    return [
        RecordGroup(
            record_type=code,
            label_zh=record_type(code).label_zh,
            label_en=record_type(code).label_en,
            records=groups[code],
        )
        for code in sorted(groups, key=sort_key)
    ]
