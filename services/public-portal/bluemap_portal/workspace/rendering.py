"""Rendering the signed-in pages: the site's templates and language, plus the session, CSRF token and no caching."""

from datetime import date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bluemap_portal.site.i18n import format_date, format_datetime
from bluemap_portal.site.rendering import link_builder, page_language, render
from bluemap_portal.workspace.messages import Message
from bluemap_portal.workspace.session import CSRF_FIELD, csrf_token, store_csrf_cookie


def render_page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A signed-in page (or the login page): private, never cached, with the CSRF token for its forms."""
    lang = page_language(request)
    context.setdefault("user", getattr(request.state, "signed_in", None))
    response = render(
        request,
        template,
        status_code=status_code,
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(request),
        msg=lambda message: message.translated(lang) if isinstance(message, Message) else message,
        when=lambda value: instant(value, lang),
        **context,
    )
    response.headers["Cache-Control"] = "no-store"
    store_csrf_cookie(request, response)
    return response


def instant(value: Any, lang: str) -> str:
    """An API's ISO date or date-time as the page's language writes it (times in China time)."""
    if not value:
        return "—"
    text = str(value)
    try:
        if "T" in text:
            return format_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")), lang)
        return format_date(date.fromisoformat(text), lang)
    except ValueError:
        return text


def url_for_page(request: Request, path: str, *, fragment: str = "", **params: Any) -> str:
    """A link to a portal page that keeps the page language."""
    url = link_builder(request, page_language(request))(path, **params)
    return url + (f"#{fragment}" if fragment else "")


def see_other(request: Request, path: str, *, fragment: str = "", **params: Any) -> RedirectResponse:
    """The redirect after a successful post (post/redirect/get), to a page in the same language."""
    response = RedirectResponse(url_for_page(request, path, fragment=fragment, **params), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response
