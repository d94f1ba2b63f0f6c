"""Email delivery status API."""

from uuid import UUID

from fastapi import APIRouter, Query

from bluemap_notifications.emails import service
from bluemap_notifications.emails.models import EmailStatus
from bluemap_notifications.emails.schemas import AttachmentPublic, EmailDetail, EmailPublic
from bluemap_shared.auth import Operator
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/emails", tags=["emails"])


@router.get("", response_model=list[EmailPublic])
async def list_emails(
    session: SessionDep,
    principal: Operator,
    status: EmailStatus | None = None,
    purpose: str | None = Query(default=None, max_length=64, description="e.g. record-published"),
    before: UUID | None = Query(default=None, description="Cursor: the last id of the previous page"),
    limit: int = Query(default=50, ge=1, le=500),
) -> list[EmailPublic]:
    """Emails of the caller's tenant, newest first, with their delivery status."""
    rows = await service.list_emails(
        session, principal.tenant_id, status=status, purpose=purpose, before=before, limit=limit
    )
    return [EmailPublic.model_validate(e) for e in rows]


@router.get("/{email_id}", response_model=EmailDetail)
async def get_email(email_id: UUID, session: SessionDep, principal: Operator) -> EmailDetail:
    """One email of the caller's tenant: delivery status, content and attachments."""
    email, attachments = await service.get_email(session, principal.tenant_id, email_id)
    detail = EmailDetail.model_validate(email)
    detail.attachments = [AttachmentPublic.model_validate(a) for a in attachments]
    return detail
