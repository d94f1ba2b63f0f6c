"""Record use cases; the caller's transaction commits them."""

import hashlib
from uuid import UUID

import orjson
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.deadlines import EXPLANATION_WORKING_DAYS, add_working_days
from bluemap_records.enterprises.service import get_enterprise, snapshot
from bluemap_records.record_types import RECORD_TYPES
from bluemap_records.records.models import Record, RecordStatus
from bluemap_records.records.repository import RecordRepository
from bluemap_records.records.schemas import RecordBase, RecordCreate
from bluemap_shared.events.catalog import RecordPublished
from bluemap_shared.messaging import emit
from bluemap_shared.problems import NotFound


def content_sha256(data: RecordBase) -> str:
    """Fingerprint of a record's source content, to tell a real change from a re-import."""
    fields = data.model_dump(mode="json", exclude={"enterprise_id"})
    return hashlib.sha256(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def publish_record(
    session: AsyncSession, tenant_id: str, data: RecordCreate, *, provenance: str = "api"
) -> Record:
    """Store a record and announce it; explainable ones get a deadline of 10 working days."""
    enterprise = await get_enterprise(session, tenant_id, data.enterprise_id)
    explainable = RECORD_TYPES[data.record_type].explainable
    record = Record(
        tenant_id=tenant_id,
        enterprise_id=enterprise.id,
        record_type=data.record_type,
        year=data.year,
        source_title=data.source_title,
        issuing_authority=data.issuing_authority,
        issued_on=data.issued_on,
        source_url=str(data.source_url) if data.source_url else None,
        summary=data.summary,
        external_id=data.external_id,
        status=RecordStatus.AWAITING_EXPLANATION if explainable else RecordStatus.PUBLISHED,
        provenance=provenance,
        content_sha256=content_sha256(data),
    )
    if explainable:
        record.explanation_due_on = add_working_days(record.published_at.date(), EXPLANATION_WORKING_DAYS)
    RecordRepository(session).add(record)
    await session.flush()
    emit(
        session,
        RecordPublished(
            record_id=record.id,
            enterprise=snapshot(enterprise),
            record_type=record.record_type,
            explainable=explainable,
            year=record.year,
            source_title=record.source_title,
            issuing_authority=record.issuing_authority,
            issued_on=record.issued_on,
            source_url=record.source_url,
            summary=record.summary,
            published_at=record.published_at,
            explanation_due_on=record.explanation_due_on,
        ),
        tenant_id=tenant_id,
    )
    return record


async def get_record(session: AsyncSession, tenant_id: str, record_id: UUID) -> Record:
    record = await RecordRepository(session).get(tenant_id, record_id)
    if record is None:
        raise NotFound("No such record.")
    return record
