"""Explanation use cases; the caller's transaction commits them."""

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.commitments import service as commitments
from bluemap_explanations.commitments.texts import CommitmentKind
from bluemap_explanations.explanations.drafts import refuse_empty
from bluemap_explanations.explanations.models import Explanation, ExplanationStatus
from bluemap_explanations.explanations.repository import ExplanationRepository, KnownDocumentRepository
from bluemap_explanations.explanations.rules import AUTOMATED_MONITORING
from bluemap_explanations.explanations.schemas import ExplanationDraft
from bluemap_explanations.records.repository import ExplainableRecordRepository
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import DocumentStored, ExplanationSaved
from bluemap_shared.ids import uuid7
from bluemap_shared.messaging import emit
from bluemap_shared.problems import Conflict, InvalidInput, NotFound


class NotEditable(Conflict):
    type = "explanation-not-editable"
    title = "Explanation not editable"


class DocumentNotYetKnown(Conflict):
    type = "document-not-yet-known"
    title = "Document not yet known"


async def project_document_stored(session: AsyncSession, tenant_id: str, event: DocumentStored) -> None:
    """Remember whose document it is: explanations may name only their own enterprise's."""
    await KnownDocumentRepository(session).add(tenant_id, event.document_id, event.enterprise_id)


async def check_document(
    session: AsyncSession, tenant_id: str, enterprise_id: UUID, document_id: UUID, *, lagging_ok: bool
) -> None:
    """The document must be the enterprise's own; 422 when it is another's (or another tenant's, once known).

    A document uploaded a moment ago may not have reached this service yet: a draft may name it
    (lagging_ok), a submission may not (409, try again).
    """
    owners = await KnownDocumentRepository(session).owners(tenant_id, [document_id])
    if document_id not in owners:
        if lagging_ok:
            return
        raise DocumentNotYetKnown(
            "The attached document has not reached this service yet; try again in a moment.",
            document_id=str(document_id),
        )
    if owners[document_id] != enterprise_id:
        raise InvalidInput(
            "The document is not one of your enterprise's.",
            errors=[{"location": ["body", "document_id"], "message": "not your enterprise's", "type": "foreign"}],
        )


async def save_draft(
    session: AsyncSession,
    tenant_id: str,
    enterprise_id: UUID | None,
    record_id: UUID,
    data: ExplanationDraft,
    *,
    saved_by: str,
) -> Explanation:
    """Create or update the enterprise's draft explanation of one of its records and announce it."""
    record = await ExplainableRecordRepository(session).get(tenant_id, record_id)
    # Another enterprise's record is indistinguishable from a missing one.
    if record is None or enterprise_id is None or record.enterprise_id != enterprise_id:
        raise NotFound("No such record.")
    if not record.explainable:
        raise Conflict("Records of this type are not explained.", record_type=record.record_type)
    if data.monitoring is not None and record.record_type != AUTOMATED_MONITORING:
        raise InvalidInput(
            "Monitoring details explain automated-monitoring records only.",
            errors=[{"location": ["body", "monitoring"], "message": "not for this record type", "type": "unexpected"}],
        )
    refuse_empty(data)
    if data.document_id is not None:
        await check_document(session, tenant_id, enterprise_id, data.document_id, lagging_ok=True)
    await commitments.require_accepted(session, tenant_id, enterprise_id, [CommitmentKind.ACCURACY])
    now = utcnow()
    explanation = await ExplanationRepository(session).save_draft(
        {
            "id": uuid7(),
            "tenant_id": tenant_id,
            "record_id": record.record_id,
            "enterprise_id": record.enterprise_id,
            "violation": data.violation,
            "reasons": data.reasons,
            "corrective_actions": data.corrective_actions,
            "monitoring": data.monitoring.model_dump(mode="json") if data.monitoring is not None else None,
            "document_id": data.document_id,
            "status": ExplanationStatus.DRAFT.value,
            "version": 1,
            "saved_by": saved_by,
            "saved_at": now,
            "created_at": now,
        }
    )
    if explanation is None:
        current = await ExplanationRepository(session).get(tenant_id, record_id)
        status = current.status if current is not None else None
        raise NotEditable(
            "This explanation was sent and can no longer be edited."
            if status != ExplanationStatus.PUBLISHED
            else "This explanation is published and can no longer be edited.",
            explanation_status=status,
        )
    emit(
        session,
        ExplanationSaved(
            explanation_id=explanation.id,
            record_id=explanation.record_id,
            enterprise_id=explanation.enterprise_id,
            version=explanation.version,
            saved_by=explanation.saved_by,
            saved_at=explanation.saved_at,
        ),
        tenant_id=tenant_id,
    )
    return explanation


async def get_explanation(session: AsyncSession, tenant_id: str, record_id: UUID) -> Explanation:
    explanation = await ExplanationRepository(session).get(tenant_id, record_id)
    if explanation is None:
        raise NotFound("No explanation of this record.")
    return explanation
