"""Following API: the signed-in user's follows, in their tenant."""

from uuid import UUID

from fastapi import APIRouter, Response, status

from bluemap_notifications.follows import service
from bluemap_notifications.follows.schemas import FollowCreate, FollowPublic
from bluemap_shared.auth import CurrentPrincipal
from bluemap_shared.runtime import SessionDep

router = APIRouter(prefix="/v1/follows", tags=["follows"])


@router.get("", response_model=list[FollowPublic])
async def list_follows(session: SessionDep, principal: CurrentPrincipal) -> list[FollowPublic]:
    """The enterprises the caller follows, newest first."""
    return await service.list_follows(session, principal)


@router.post("", response_model=FollowPublic, status_code=status.HTTP_201_CREATED)
async def follow(
    body: FollowCreate, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> FollowPublic:
    """Follow an enterprise: its new records, explanations and documents are emailed to the token's address."""
    row, created = await service.follow(session, principal, body.enterprise_id)
    if not created:
        response.status_code = status.HTTP_200_OK
    return await service.public_follow(session, row)


@router.delete("/{enterprise_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unfollow(enterprise_id: UUID, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """Stop following an enterprise; following nothing is no error."""
    await service.unfollow(session, principal, enterprise_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
