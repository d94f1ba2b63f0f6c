"""The deadline commitment is accepted at each Send (as in the seed): one acceptance backs one submission."""

from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_explanations.commitments import service as commitments
from bluemap_explanations.commitments.models import CommitmentResponse
from bluemap_explanations.commitments.schemas import CommitmentAnswer
from bluemap_explanations.commitments.texts import CommitmentKind
from bluemap_explanations.submissions.models import Submission

ACCEPT_AT_EACH_SEND = "accept-at-each-send"


async def accept_for_send(
    session: AsyncSession,
    tenant_id: str,
    enterprise_id: UUID,
    answer: CommitmentAnswer,
    *,
    responded_by: str,
    client_ip: str | None,
) -> CommitmentResponse:
    """Record the Accept the Send carries (CommitmentAccepted), in the Send's transaction."""
    return await commitments.answer(
        session,
        tenant_id,
        enterprise_id,
        CommitmentKind.DEADLINE,
        version=answer.version,
        language=answer.language,
        accepted=True,
        responded_by=responded_by,
        client_ip=client_ip,
    )


async def require_unused(session: AsyncSession, tenant_id: str, enterprise_id: UUID, acceptance_id: UUID) -> None:
    """CommitmentRequired unless no earlier submission rests on this acceptance of the deadline commitment."""
    # The acceptance's row is locked first: two Sends resting on one acceptance take turns, and the
    # second finds the first's submission once it committed.
    await session.exec(
        select(CommitmentResponse.id)
        .where(CommitmentResponse.tenant_id == tenant_id, CommitmentResponse.id == acceptance_id)
        .with_for_update()
    )
    used = await session.exec(
        select(col(Submission.id))
        .where(
            Submission.tenant_id == tenant_id,
            Submission.enterprise_id == enterprise_id,
            Submission.deadline_acceptance_id == acceptance_id,
        )
        .limit(1)
    )
    if used.first() is not None:
        raise commitments.CommitmentRequired(
            "Accept the deadline commitment for this Send: it is accepted at each Send.",
            kinds=[CommitmentKind.DEADLINE.value],
            reason=ACCEPT_AT_EACH_SEND,
        )
