"""Records API."""

from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from bluemap_records.pagination import Page, decode_cursor, encode_cursor
from bluemap_records.record_types import RECORD_TYPES
from bluemap_records.records import service
from bluemap_records.records.lifecycle import RecordStatus, Trigger
from bluemap_records.records.models import Record
from bluemap_records.records.repository import RecordFilter, RecordRepository
from bluemap_records.records.schemas import (
    Provenance,
    RecordCreate,
    RecordPublic,
    RecordRevise,
    RetractionRequest,
    RevisionPublic,
    StatusChangePublic,
    StatusChangeRequest,
)
from bluemap_shared.auth import Admin, CurrentPrincipal, Principal, enterprise_scope, may_read_enterprise
from bluemap_shared.problems import InvalidInput, NotFound
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/records", tags=["records"])

_ILLEGAL: dict[int | str, dict[str, Any]] = {
    409: {"description": "The record's status does not allow this (problem body)"}
}


def to_public(record: Record) -> RecordPublic:
    kind = RECORD_TYPES[record.record_type]
    return RecordPublic(
        id=record.id,
        tenant_id=record.tenant_id,
        enterprise_id=record.enterprise_id,
        record_type=record.record_type,
        record_type_label_en=kind.label_en,
        record_type_label_zh=kind.label_zh,
        explainable=kind.explainable,
        year=record.year,
        source_title=record.source_title,
        issuing_authority=record.issuing_authority,
        issued_on=record.issued_on,
        source_url=record.source_url,
        summary=record.summary,
        external_id=record.external_id,
        status=RecordStatus(record.status),
        explanation_due_on=record.explanation_due_on,
        revision=record.revision,
        provenance=Provenance(
            source=record.provenance,
            import_id=record.import_id,
            received_at=record.received_at,
            content_sha256=record.content_sha256,
        ),
        published_at=record.published_at,
        updated_at=record.updated_at,
        retracted_at=record.retracted_at,
        retraction_reason=record.retraction_reason,
    )


async def _readable(session: SessionDep, principal: Principal, record_id: UUID) -> Record:
    """The record if the caller may see it: operators their tenant's, staff their enterprise's live ones."""
    record = await service.get_record(session, principal.tenant_id, record_id)
    if not may_read_enterprise(principal, record.enterprise_id) or (
        record.retracted_at is not None and not principal.is_operator
    ):
        raise NotFound("No such record.")
    return record


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RecordPublic)
async def publish_record(data: RecordCreate, session: SessionDep, principal: Admin) -> RecordPublic:
    """Publish a government record about an enterprise of the caller's tenant (RecordPublished)."""
    record = await service.publish_record(session, principal.tenant_id, data, actor=principal.subject)
    return to_public(record)


@router.get("", response_model=Page[RecordPublic])
async def list_records(
    session: SessionDep,
    principal: CurrentPrincipal,
    enterprise_id: UUID | None = Query(default=None, description="Enterprise staff always see their own"),
    record_type: str | None = Query(default=None, description="A record type code of the import format"),
    year: int | None = Query(default=None, ge=1990, le=2100),
    record_status: RecordStatus | None = Query(default=None, alias="status"),
    issuing_authority: str | None = Query(default=None, max_length=200, description="Exact issuing authority"),
    issued_from: date | None = Query(default=None, description="Issued on or after"),
    issued_to: date | None = Query(default=None, description="Issued on or before"),
    cursor: str | None = Query(default=None, description="next_cursor of the previous page"),
    limit: int = Query(default=50, ge=1, le=500),
) -> Page[RecordPublic]:
    """Records of the caller's tenant, newest issue first, in pages; retracted records are left out.

    One enterprise and one type is the enterprise page (index ix_records_enterprise_page).
    """
    if record_type is not None and record_type not in RECORD_TYPES:
        raise InvalidInput(f"Unknown record type {record_type!r}.")
    allowed, enterprise_id = enterprise_scope(principal, enterprise_id)
    if not allowed:
        return Page(items=[])
    after = None
    if cursor:
        issued_on, record_id = decode_cursor(cursor, "records", 2)
        try:
            after = (date.fromisoformat(issued_on), UUID(record_id))
        except ValueError as exc:
            raise InvalidInput("The cursor is not one this list handed out.") from exc
    where = RecordFilter(
        enterprise_id=enterprise_id,
        record_type=record_type,
        year=year,
        status=record_status,
        issuing_authority=issuing_authority,
        issued_from=issued_from,
        issued_to=issued_to,
    )
    rows = await RecordRepository(session).find(principal.tenant_id, where, after=after, limit=limit + 1)
    items = [to_public(r) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor("records", last.issued_on.isoformat(), str(last.id))
    # The page is built from validated models already; FastAPI would dump and validate it all again.
    page = Page[RecordPublic](items=items, next_cursor=next_cursor)
    return Response(page.model_dump_json(), media_type="application/json")  # type: ignore[return-value]


@router.get("/{record_id}", response_model=RecordPublic)
async def get_record(record_id: UUID, session: SessionDep, principal: CurrentPrincipal) -> RecordPublic:
    """One record; enterprise staff see only their enterprise's, operators also retracted ones."""
    return to_public(await _readable(session, principal, record_id))


@router.patch("/{record_id}", response_model=RecordPublic, responses=_ILLEGAL)
async def revise_record(record_id: UUID, data: RecordRevise, session: SessionDep, principal: Admin) -> RecordPublic:
    """Correct a record's source content (the old content goes to its revisions); RecordUpdated on a real change."""
    return to_public(await service.revise_record(session, principal.tenant_id, record_id, data))


@router.get("/{record_id}/status-history", response_model=list[StatusChangePublic])
async def status_history(record_id: UUID, session: SessionDep, principal: CurrentPrincipal) -> list[StatusChangePublic]:
    """Every status the record had, oldest first, with what moved it."""
    record = await _readable(session, principal, record_id)
    changes = await RecordRepository(session).status_history(principal.tenant_id, record.id)
    return [StatusChangePublic.model_validate(c) for c in (service.publication(record), *changes)]


@router.get("/{record_id}/revisions", response_model=list[RevisionPublic])
async def revisions(record_id: UUID, session: SessionDep, principal: CurrentPrincipal) -> list[RevisionPublic]:
    """The content the record had before each change, oldest first (the current one is the record)."""
    record = await _readable(session, principal, record_id)
    return [
        RevisionPublic.model_validate(r)
        for r in await RecordRepository(session).revisions(principal.tenant_id, record.id)
    ]


@router.post("/{record_id}/resolve", response_model=RecordPublic, responses=_ILLEGAL)
async def resolve_record(
    record_id: UUID, data: StatusChangeRequest, session: SessionDep, principal: Admin
) -> RecordPublic:
    """Resolve (delist) an explained record once the audit confirmed the corrections (tenant admin; reason required)."""
    record = await service.decide(
        session, principal.tenant_id, record_id, Trigger.RESOLVE, reason=data.reason, actor=principal.subject
    )
    return to_public(record)


@router.post("/{record_id}/restore", response_model=RecordPublic, responses=_ILLEGAL)
async def restore_record(
    record_id: UUID, data: StatusChangeRequest, session: SessionDep, principal: Admin
) -> RecordPublic:
    """Put a resolved record back on the list (tenant admin; reason required): a new deadline runs from today."""
    record = await service.decide(
        session, principal.tenant_id, record_id, Trigger.RESTORE, reason=data.reason, actor=principal.subject
    )
    return to_public(record)


@router.post("/{record_id}/retract", response_model=RecordPublic, responses=_ILLEGAL)
async def retract_record(
    record_id: UUID, data: RetractionRequest, session: SessionDep, principal: Admin
) -> RecordPublic:
    """Withdraw a record published in error (tenant admin); it leaves every list (RecordRetracted)."""
    record = await service.retract_record(session, principal.tenant_id, record_id, reason=data.reason)
    return to_public(record)
