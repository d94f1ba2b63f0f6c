"""The enterprise's submissions: Send Public Explanation, and what became of what it sent."""

from uuid import UUID

from fastapi import APIRouter, Query, status

from bluemap_explanations.enterprise import own_enterprise
from bluemap_explanations.submissions import service
from bluemap_explanations.submissions.rules import SubmissionStatus
from bluemap_explanations.submissions.schemas import SubmissionCreate, SubmissionPublic
from bluemap_shared.auth import CurrentPrincipal, EnterpriseUser, enterprise_scope, may_read_enterprise
from bluemap_shared.client_ip import ClientIp
from bluemap_shared.problems import NotFound
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/submissions", tags=["submissions"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SubmissionPublic)
async def send_submission(
    data: SubmissionCreate, session: SessionDep, principal: EnterpriseUser, client_ip: ClientIp
) -> SubmissionPublic:
    """Send the saved explanations of the selected records (ExplanationSubmitted); deadline accepted at each Send."""
    return await service.send(
        session,
        principal.tenant_id,
        own_enterprise(principal),
        data,
        submitted_by=principal.subject,
        client_ip=client_ip,
    )


@router.get("", response_model=list[SubmissionPublic])
async def list_submissions(
    session: SessionDep,
    principal: CurrentPrincipal,
    enterprise_id: UUID | None = Query(default=None, description="Operators only; staff always see their own"),
    submission_status: list[SubmissionStatus] | None = Query(default=None, alias="status"),
    after: UUID | None = Query(default=None, description="Cursor: the last id of the previous page"),
    limit: int = Query(default=50, ge=1, le=200),
) -> list[SubmissionPublic]:
    """The caller's enterprise's submissions, oldest first, with their review outcome."""
    allowed, enterprise_id = enterprise_scope(principal, enterprise_id)
    if not allowed:
        return []
    return await service.list_submissions(
        session, principal.tenant_id, enterprise_id=enterprise_id, statuses=submission_status, after=after, limit=limit
    )


@router.get("/{submission_id}", response_model=SubmissionPublic)
async def get_submission(submission_id: UUID, session: SessionDep, principal: CurrentPrincipal) -> SubmissionPublic:
    """One submission; its enterprise's staff and the tenant's operators may read it."""
    submission = await service.get_submission(session, principal.tenant_id, submission_id)
    if not may_read_enterprise(principal, submission.enterprise_id):
        raise NotFound("No such submission.")
    [public] = await service.describe(session, principal.tenant_id, [submission])
    return public
