"""Records API."""

from uuid import UUID

from fastapi import APIRouter, Query, status

from bluemap_records.record_types import RECORD_TYPES
from bluemap_records.records import service
from bluemap_records.records.models import Record
from bluemap_records.records.repository import RecordRepository
from bluemap_records.records.schemas import RecordCreate, RecordPublic
from bluemap_shared.auth import Admin, CurrentPrincipal
from bluemap_shared.problems import NotFound
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/records", tags=["records"])


def to_public(record: Record) -> RecordPublic:
    return RecordPublic.model_validate(
        {**record.model_dump(), "explainable": RECORD_TYPES[record.record_type].explainable}
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RecordPublic)
async def publish_record(data: RecordCreate, session: SessionDep, principal: Admin) -> RecordPublic:
    """Publish a government record about an enterprise of the caller's tenant (RecordPublished)."""
    record = await service.publish_record(session, principal.tenant_id, data)
    return to_public(record)


@router.get("", response_model=list[RecordPublic])
async def list_records(
    session: SessionDep,
    principal: CurrentPrincipal,
    enterprise_id: UUID | None = None,
    record_type: str | None = None,
    after: UUID | None = Query(default=None, description="Cursor: the last id of the previous page"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[RecordPublic]:
    """Records of the caller's tenant; enterprise staff see only their enterprise's."""
    if not principal.is_operator:
        if principal.enterprise_id is None or enterprise_id not in (None, principal.enterprise_id):
            return []
        enterprise_id = principal.enterprise_id
    rows = await RecordRepository(session).list(
        principal.tenant_id, enterprise_id=enterprise_id, record_type=record_type, after=after, limit=limit
    )
    return [to_public(r) for r in rows]


@router.get("/{record_id}", response_model=RecordPublic)
async def get_record(record_id: UUID, session: SessionDep, principal: CurrentPrincipal) -> RecordPublic:
    """One record; enterprise staff see only their enterprise's."""
    record = await service.get_record(session, principal.tenant_id, record_id)
    if not principal.is_operator and record.enterprise_id != principal.enterprise_id:
        raise NotFound("No such record.")
    return to_public(record)
