"""Following: the enterprises a signed-in user (of any role) follows, and the forms that follow and unfollow."""

from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from bluemap_portal.site.i18n import N_
from bluemap_portal.workspace.menu import MENU, MENU_BY_KEY
from bluemap_portal.workspace.rendering import render_page, see_other
from bluemap_portal.workspace.session import CSRF_FIELD, UserBackend, UserSession, check_csrf

router = APIRouter(prefix="/workspace")

DONE = {
    "followed": N_(
        "You follow the enterprise now. Its new records, explanations and documents will be emailed to you."
    ),
    "unfollowed": N_("You no longer follow the enterprise."),
}


@router.get("/following", response_class=HTMLResponse)
async def following(request: Request, user: UserSession, backend: UserBackend, done: str = "") -> HTMLResponse:
    """The enterprises the user follows, each with Unfollow, and where the emails go."""
    follows = await backend.get("notifications", "/v1/follows")
    return render_page(
        request,
        "workspace/following.html",
        follows=follows,
        done=DONE.get(done),
        email=user.principal.email or user.email,
        item=MENU_BY_KEY["following"],
        menu=MENU,
        active="following",
    )


@router.post("/following")
async def follow(
    request: Request,
    user: UserSession,
    backend: UserBackend,
    enterprise_id: UUID = Form(),
    csrf_token: str = Form(default="", alias=CSRF_FIELD),
) -> Response:
    """Follow an enterprise (the public enterprise page's button), then show the list."""
    check_csrf(request, csrf_token)
    await backend.post("notifications", "/v1/follows", {"enterprise_id": str(enterprise_id)})
    return see_other(request, "/workspace/following", done="followed")


@router.post("/following/{enterprise_id}/unfollow")
async def unfollow(
    request: Request,
    enterprise_id: UUID,
    user: UserSession,
    backend: UserBackend,
    csrf_token: str = Form(default="", alias=CSRF_FIELD),
) -> Response:
    """Stop following an enterprise."""
    check_csrf(request, csrf_token)
    await backend.call("notifications", "DELETE", f"/v1/follows/{enterprise_id}")
    return see_other(request, "/workspace/following", done="unfollowed")
