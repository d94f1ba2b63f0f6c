"""Wiring of the signed-in pages into the site: routers, and what their errors look like to the user."""

from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bluemap_portal.site.i18n import N_
from bluemap_portal.workspace import auth, chat, disclosure, email_change, following, pages
from bluemap_portal.workspace.backend import ApiProblem, BackendUnavailable, SessionExpired
from bluemap_portal.workspace.messages import CSRF_REFUSED, UNAVAILABLE, Message, problem_message
from bluemap_portal.workspace.rendering import render_page
from bluemap_portal.workspace.session import (
    CsrfRefused,
    LoginRequired,
    WrongAccount,
    clear_session,
    login_url,
    safe_next,
)

TITLES = {
    400: N_("Bad request"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Conflict"),
    503: N_("Service unavailable"),
}


def problem_page(request: Request, status_code: int, message: Message, *, back: str | None = None) -> HTMLResponse:
    title = TITLES.get(status_code, TITLES[400])
    return render_page(
        request, "workspace/problem.html", status_code=status_code, title=title, message=message, back=back
    )


def _local_referer(request: Request) -> str | None:
    """The page the form was on, when it is one of ours."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.headers.get("host", ""):
        return None
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))


def install_workspace(site: FastAPI) -> None:
    """Login and logout, and the enterprise workspace at /workspace, on the site app."""
    site.include_router(auth.router)
    site.include_router(disclosure.router)
    site.include_router(pages.router)
    site.include_router(email_change.router)
    site.include_router(following.router)
    site.include_router(chat.router)

    @site.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_url(request, exc.next_path or None), status_code=303)

    @site.exception_handler(SessionExpired)
    async def _expired(request: Request, exc: SessionExpired) -> Response:
        response = RedirectResponse(login_url(request, request.url.path if request.method == "GET" else None), 303)
        clear_session(request, response)
        return response

    @site.exception_handler(WrongAccount)
    async def _wrong_account(request: Request, exc: WrongAccount) -> HTMLResponse:
        request.state.signed_in = exc.user
        text = {
            "enterprise": N_("This page is for enterprise accounts. You are signed in with another kind of account."),
            "admin": N_("This page is for the tenant's administrators. Reviewers see the review queue and the chat."),
        }.get(
            exc.needed, N_("This page is for the operator's reviewers. You are signed in with another kind of account.")
        )
        return problem_page(request, 403, Message(text))

    @site.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> HTMLResponse:
        return problem_page(request, 403, CSRF_REFUSED, back=_local_referer(request))

    @site.exception_handler(BackendUnavailable)
    async def _unavailable(request: Request, exc: BackendUnavailable) -> HTMLResponse:
        return problem_page(request, 503, UNAVAILABLE)

    @site.exception_handler(ApiProblem)
    async def _problem(request: Request, exc: ApiProblem) -> HTMLResponse:
        status = exc.status if exc.status in TITLES else 400
        return problem_page(request, status, problem_message(exc))
