"""Category pages and Enterprise Feedback items; read-only."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.categories.repository import FeedbackFilter, FeedbackRepository
from bluemap_portal.categories.schemas import (
    CategoryPage,
    CategoryPublic,
    CategoryRecord,
    DisclosedDocument,
    DocumentListing,
    FeedbackItem,
    RecordSummary,
)
from bluemap_portal.clock import china_year, china_years
from bluemap_portal.documents import service as documents
from bluemap_portal.documents.repository import DocumentFilter
from bluemap_portal.documents.schemas import DocumentPublic
from bluemap_portal.enterprises.models import PortalEnterprise
from bluemap_portal.enterprises.repository import EnterpriseRepository
from bluemap_portal.explanations import service as explanations
from bluemap_portal.explanations.models import PortalExplanation
from bluemap_portal.explanations.schemas import ExplanationPublic
from bluemap_portal.record_types import ENTERPRISE_FEEDBACK as ENTERPRISE_FEEDBACK  # its category
from bluemap_portal.record_types import RECORD_TYPES
from bluemap_portal.records import service as records
from bluemap_portal.records.models import PortalRecord
from bluemap_portal.records.schemas import RecordFilter
from bluemap_shared.problems import NotFound

FEEDBACK_LABELS = ("企业反馈", "Enterprise Feedback")
# Where the Blue Map lists Enterprise Feedback: after the types enterprises explain.
_FEEDBACK_AFTER = "automated_monitoring"


def categories() -> list[CategoryPublic]:
    """Every category in the order the portal lists them."""
    listed: list[CategoryPublic] = []
    for code, labels in RECORD_TYPES.items():
        listed.append(CategoryPublic(code=code, label_zh=labels.label_zh, label_en=labels.label_en))
        if code == _FEEDBACK_AFTER:
            listed.append(feedback_category())
    return listed


def feedback_category() -> CategoryPublic:
    return CategoryPublic(code=ENTERPRISE_FEEDBACK, label_zh=FEEDBACK_LABELS[0], label_en=FEEDBACK_LABELS[1])


def category(code: str) -> CategoryPublic:
    """A known category; NotFound for any other code."""
    if code == ENTERPRISE_FEEDBACK:
        return feedback_category()
    labels = RECORD_TYPES.get(code)
    if labels is None:
        raise NotFound("No such category.")
    return CategoryPublic(code=code, label_zh=labels.label_zh, label_en=labels.label_en)


def summary(record: PortalRecord) -> RecordSummary:
    return RecordSummary(
        id=record.id,
        record_type=record.record_type,
        year=record.year,
        source_title=record.source_title,
        issuing_authority=record.issuing_authority,
    )


def feedback_items(
    published_explanations: Iterable[PortalExplanation],
    published_documents: Iterable[DocumentPublic],
    *,
    enterprises: Mapping[UUID, PortalEnterprise],
    records_by_id: Mapping[UUID, PortalRecord],
    document_owners: Mapping[UUID, UUID],
) -> list[FeedbackItem]:
    """Explanations (of public records only) and documents as feedback items, newest first."""
    items: list[FeedbackItem] = []
    for explanation in published_explanations:
        record = records_by_id.get(explanation.record_id)
        if record is None:
            continue  # its record was retracted, or is not public yet
        enterprise = enterprises.get(explanation.enterprise_id)
        items.append(
            FeedbackItem(
                kind="explanation",
                id=explanation.id,
                enterprise_id=explanation.enterprise_id,
                enterprise_name=enterprise.name if enterprise else None,
                enterprise_name_en=enterprise.name_en if enterprise else None,
                published_at=explanation.published_at,
                record=summary(record),
                explanation=ExplanationPublic.model_validate(explanation),
            )
        )
    for document in published_documents:
        owner = document_owners[document.id]
        enterprise = enterprises.get(owner)
        items.append(
            FeedbackItem(
                kind="document",
                id=document.id,
                enterprise_id=owner,
                enterprise_name=enterprise.name if enterprise else None,
                enterprise_name_en=enterprise.name_en if enterprise else None,
                published_at=document.published_at,
                document=document,
            )
        )
    items.sort(key=lambda item: (item.published_at, item.id), reverse=True)
    return items


async def feedback_page(
    session: AsyncSession,
    tenant_id: str,
    *,
    where: FeedbackFilter,
    offset: int,
    limit: int,
    documents_public_base_url: str,
) -> list[FeedbackItem]:
    """One page of Enterprise Feedback, of one enterprise or of all, newest first."""
    rows = await FeedbackRepository(session).page(tenant_id, where=where, offset=offset, limit=limit)
    explanation_rows = await explanations.get_many(session, tenant_id, _ids(rows, "explanation"))
    document_rows = await documents.get_many(session, tenant_id, _ids(rows, "document"))
    public_documents = await documents.public_documents(
        session, tenant_id, document_rows, documents_public_base_url=documents_public_base_url
    )
    record_rows = await records.get_many(session, tenant_id, (e.record_id for e in explanation_rows))
    owners = {d.id: d.enterprise_id for d in document_rows}
    enterprise_ids = {e.enterprise_id for e in explanation_rows} | set(owners.values())
    enterprises = await EnterpriseRepository(session).get_many(tenant_id, enterprise_ids)
    return feedback_items(
        explanation_rows,
        public_documents,
        enterprises={e.id: e for e in enterprises},
        records_by_id={r.id: r for r in record_rows},
        document_owners=owners,
    )


def _published_in(year: int | None) -> tuple[datetime | None, datetime | None]:
    return china_year(year) if year is not None else (None, None)


async def category_page(
    session: AsyncSession,
    tenant_id: str,
    code: str,
    *,
    page: int,
    page_size: int,
    today: date,
    documents_public_base_url: str,
    where: RecordFilter | None = None,
) -> CategoryPage:
    """One page of a category, filtered; one item more is read than shown, to know whether a next page exists.

    Enterprise Feedback is filtered by region and by the year it was published in; it has no status.
    """
    known = category(code)
    where = where or RecordFilter()
    offset = (page - 1) * page_size
    base = {**known.model_dump(), "page": page, "page_size": page_size}
    if code == ENTERPRISE_FEEDBACK:
        since, until = _published_in(where.year)
        feedback = FeedbackFilter(region=where.region, since=since, until=until)
        items = await feedback_page(
            session,
            tenant_id,
            where=feedback,
            offset=offset,
            limit=page_size + 1,
            documents_public_base_url=documents_public_base_url,
        )
        total = await FeedbackRepository(session).count(tenant_id, where=feedback)
        return CategoryPage(**base, total=total, has_next=len(items) > page_size, feedback=items[:page_size])
    rows = await records.records_of_type(
        session, tenant_id, code, where=where, today=today, offset=offset, limit=page_size + 1
    )
    total = await records.count_of_type(session, tenant_id, code, where=where, today=today)
    enterprises = {
        e.id: e for e in await EnterpriseRepository(session).get_many(tenant_id, {r.enterprise_id for r in rows})
    }
    return CategoryPage(
        **base,
        total=total,
        has_next=len(rows) > page_size,
        records=[_category_record(r, enterprises.get(r.enterprise_id), today) for r in rows[:page_size]],
    )


async def category_years(session: AsyncSession, tenant_id: str, code: str) -> list[int]:
    """The years a category can be filtered by, newest first."""
    if code == ENTERPRISE_FEEDBACK:
        return china_years(*await FeedbackRepository(session).published_range(tenant_id))
    return await records.years_of_type(session, tenant_id, category(code).code)


async def documents_page(
    session: AsyncSession,
    tenant_id: str,
    *,
    where: DocumentFilter,
    page: int,
    page_size: int,
    documents_public_base_url: str,
) -> DocumentListing:
    """One page of the list of disclosed documents, with their enterprises and records."""
    rows = await documents.page(session, tenant_id, where=where, offset=(page - 1) * page_size, limit=page_size)
    total = await documents.count(session, tenant_id, where=where)
    public = await documents.public_documents(
        session, tenant_id, rows, documents_public_base_url=documents_public_base_url
    )
    enterprises = {
        e.id: e for e in await EnterpriseRepository(session).get_many(tenant_id, {d.enterprise_id for d in rows})
    }
    records_by_id = {
        r.id: r for r in await records.get_many(session, tenant_id, (r for d in public for r in d.record_ids))
    }
    listed: list[DisclosedDocument] = []
    for row, document in zip(rows, public, strict=True):
        enterprise = enterprises.get(row.enterprise_id)
        listed.append(
            DisclosedDocument(
                document=document,
                enterprise_id=row.enterprise_id,
                enterprise_name=enterprise.name if enterprise else None,
                enterprise_name_en=enterprise.name_en if enterprise else None,
                # A retracted record is no longer public: its document stays listed without it.
                records=[summary(records_by_id[r]) for r in document.record_ids if r in records_by_id],
            )
        )
    return DocumentListing(page=page, page_size=page_size, total=total, documents=listed)


def document_filter(*, type: str | None, region: str | None, year: int | None) -> DocumentFilter:
    since, until = _published_in(year)
    return DocumentFilter(type=type or None, region=region, since=since, until=until)


async def document_years(session: AsyncSession, tenant_id: str) -> list[int]:
    return china_years(*await documents.published_range(session, tenant_id))


async def document_types(session: AsyncSession, tenant_id: str) -> list[str]:
    return await documents.types(session, tenant_id)


def _category_record(record: PortalRecord, enterprise: PortalEnterprise | None, today: date) -> CategoryRecord:
    public = records.to_public(record, today=today)
    return CategoryRecord(
        **public.model_dump(),
        enterprise_name=enterprise.name if enterprise else None,
        enterprise_name_en=enterprise.name_en if enterprise else None,
    )


def _ids(rows: Sequence[tuple[str, UUID, datetime]], kind: str) -> set[UUID]:
    return {i for k, i, _ in rows if k == kind}
