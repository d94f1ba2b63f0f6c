"""Enterprise projection and the public enterprise queries; the caller's transaction commits."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.categories.service import feedback_items
from bluemap_portal.documents import service as documents
from bluemap_portal.documents.schemas import DocumentPublic
from bluemap_portal.enterprises.models import PortalEnterprise
from bluemap_portal.enterprises.repository import EnterpriseRepository
from bluemap_portal.enterprises.schemas import EnterpriseDetail, EnterpriseSummary
from bluemap_portal.explanations import service as explanations
from bluemap_portal.explanations.schemas import ExplanationPublic
from bluemap_portal.records.service import group_by_type, records_of
from bluemap_portal.regions import region_prefix
from bluemap_portal.site.page_cache import touch_pages
from bluemap_shared.db import standing_rows
from bluemap_shared.events.seen import SnapshotSeen
from bluemap_shared.problems import InvalidInput, NotFound

MAX_QUERY = 100


async def project_snapshots(session: AsyncSession, seen: Sequence[SnapshotSeen]) -> list[UUID]:
    """Store what events say of enterprises, unless a later event already said more; the ids written.

    Drops the cached pages of every enterprise named, and the directory's listings only when an
    enterprise is new or its listed names or region changed.
    """
    repository = EnterpriseRepository(session)
    by_tenant: dict[str, list[SnapshotSeen]] = defaultdict(list)
    for item in seen:
        by_tenant[item.tenant_id].append(item)
    for tenant_id, items in by_tenant.items():
        named = {item.enterprise.enterprise_id for item in items}
        before = {e.id: (e.uscc, e.name, e.name_en, e.region_code) for e in await repository.get_many(tenant_id, named)}
        listed = (
            (item.enterprise.uscc, item.enterprise.name, item.enterprise.name_en, item.enterprise.region_code)
            for item in items
        )
        touch_pages(
            session,
            tenant_id,
            enterprise_ids=named,
            directory=any(
                before.get(item.enterprise.enterprise_id) != row for item, row in zip(items, listed, strict=True)
            ),
            recent=True,
        )
    rows = [
        {
            "id": item.enterprise.enterprise_id,
            "tenant_id": item.tenant_id,
            "uscc": item.enterprise.uscc,
            "name": item.enterprise.name,
            "name_en": item.enterprise.name_en,
            "region_code": item.enterprise.region_code,
            "updated_at": item.as_of,
        }
        for item in seen
    ]
    repository = EnterpriseRepository(session)
    written: list[UUID] = []
    for statement in standing_rows(rows, key=("id",), newer="updated_at", owner="tenant_id"):
        written.extend(await repository.upsert_many(statement))
    return written


def search_text(q: str | None) -> str | None:
    """What to look for: trimmed and bounded; None for nothing."""
    text = (q or "").strip()[:MAX_QUERY]
    return text or None


def region_filter(value: str | None) -> str | None:
    """The region code prefix a filter value means; InvalidInput when it is not a GB/T 2260 code."""
    try:
        return region_prefix(value)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


async def search_enterprises(
    session: AsyncSession, tenant_id: str, *, q: str | None, region: str | None = None, offset: int = 0, limit: int
) -> Sequence[PortalEnterprise]:
    return await EnterpriseRepository(session).search(
        tenant_id, text=search_text(q), region=region, offset=offset, limit=limit
    )


async def count_enterprises(
    session: AsyncSession, tenant_id: str, *, q: str | None, region: str | None, at_most: int | None = None
) -> int:
    return await EnterpriseRepository(session).count(tenant_id, text=search_text(q), region=region, at_most=at_most)


async def enterprises_after(
    session: AsyncSession,
    tenant_id: str,
    *,
    q: str | None,
    region: str | None,
    after: tuple[str, UUID] | None,
    limit: int,
) -> Sequence[PortalEnterprise]:
    """The next batch of an export, by name."""
    return await EnterpriseRepository(session).search_after(
        tenant_id, text=search_text(q), region=region, after=after, limit=limit
    )


async def get_many(session: AsyncSession, tenant_id: str, enterprise_ids: Iterable[UUID]) -> Sequence[PortalEnterprise]:
    return await EnterpriseRepository(session).get_many(tenant_id, set(enterprise_ids))


async def region_codes(session: AsyncSession, tenant_id: str) -> list[str]:
    return await EnterpriseRepository(session).region_codes(tenant_id)


async def get_enterprise(session: AsyncSession, tenant_id: str, enterprise_id: UUID) -> PortalEnterprise:
    enterprise = await EnterpriseRepository(session).get(tenant_id, enterprise_id)
    if enterprise is None:
        raise NotFound("No such enterprise.")
    return enterprise


async def enterprise_detail(
    session: AsyncSession, tenant_id: str, enterprise_id: UUID, *, today: date, documents_public_base_url: str
) -> EnterpriseDetail:
    """The enterprise page: its records by type, each with its explanations and documents, and its feedback."""
    enterprise = await get_enterprise(session, tenant_id, enterprise_id)
    records = await records_of(session, tenant_id, enterprise_id)
    published = await explanations.of_enterprise(session, tenant_id, enterprise_id)
    public_documents = await documents.of_enterprise(
        session, tenant_id, enterprise_id, documents_public_base_url=documents_public_base_url
    )
    explanations_by_record: dict[UUID, list[ExplanationPublic]] = defaultdict(list)
    for explanation in published:
        explanations_by_record[explanation.record_id].append(ExplanationPublic.model_validate(explanation))
    documents_by_record: dict[UUID, list[DocumentPublic]] = defaultdict(list)
    for document in public_documents:
        for record_id in document.record_ids:
            documents_by_record[record_id].append(document)
    return EnterpriseDetail(
        **EnterpriseSummary.model_validate(enterprise).model_dump(),
        record_groups=group_by_type(
            records, today=today, explanations=explanations_by_record, documents=documents_by_record
        ),
        documents=public_documents,
        feedback=feedback_items(
            published,
            public_documents,
            enterprises={enterprise.id: enterprise},
            records_by_id={r.id: r for r in records},
            document_owners={d.id: enterprise.id for d in public_documents},
        ),
    )
