"""Public pages through the page cache, with HTTP validators for the edge and a personal header apart.

Every public page is rendered for an anonymous visitor only, kept by the page cache under its tags, and
answered with an ETag (a hash of its bytes), a Last-Modified (since when the page has been exactly this)
and `Cache-Control: public, max-age=..., stale-while-revalidate=...`, so a CDN or reverse proxy may keep
it and revalidate it cheaply: a matching If-None-Match (or, without one, an If-Modified-Since not older
than Last-Modified) is answered 304 without a body. A signed-in visitor gets the same cached body with
the personal pieces (account links, the Follow form) rendered apart and put in at the PERSONAL_* markers;
such an answer is private and never stored.
"""

from collections.abc import Awaitable, Callable, Hashable, Iterable
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from bluemap_portal.settings import PortalSettings
from bluemap_portal.site.page_cache import Page, PageCache
from bluemap_portal.site.rendering import cache_key, remember_language, render_fragment
from bluemap_portal.tenancy import resolved_tenant
from bluemap_portal.workspace.session import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SignedIn,
    csrf_token,
    signed_in,
    store_csrf_cookie,
)

HTML = "text/html; charset=utf-8"
# Where a public page takes the signed-in visitor's pieces; in the anonymous page they stay empty comments.
PERSONAL_HEADER = b"<!--bluemap:personal-header-->"
PERSONAL_HEADER_END = b"<!--/bluemap:personal-header-->"
PERSONAL_ACTIONS = b"<!--bluemap:personal-actions-->"
VARY = "Accept-Language, Cookie"

Render = Callable[[], Awaitable[tuple[bytes, Iterable[str]]]]


def edge_cache_control(settings: PortalSettings) -> str:
    """What shared caches may do with an anonymous page: keep it max-age, serve it stale while revalidating."""
    return (
        f"public, max-age={settings.edge_max_age_seconds},"
        f" stale-while-revalidate={settings.edge_stale_while_revalidate_seconds}"
    )


def not_modified(request: Request, page: Page) -> bool:
    """Whether the request's validators match the page (RFC 9110 13.1: If-None-Match first)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or page.etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since).timestamp()
    except (TypeError, ValueError):
        return False
    return since >= int(page.last_modified)


def page_response(request: Request, page: Page, *, media_type: str = HTML) -> Response:
    """An anonymous page from the cache: 304 on a matching conditional request, else the body; validators."""
    settings: PortalSettings = request.app.state.runtime.settings
    headers = {
        "ETag": page.etag,
        "Last-Modified": formatdate(int(page.last_modified), usegmt=True),
        "Cache-Control": edge_cache_control(settings),
        "Vary": VARY,
    }
    response = (
        Response(status_code=304, headers=headers)
        if not_modified(request, page)
        else Response(page.body, media_type=media_type, headers=headers)
    )
    if media_type == HTML:  # a feed reader's ?lang= is the feed's, not the visitor's choice for the site
        remember_language(request, response)
    return response


def personal_response(
    request: Request, page: Page, user: SignedIn, *, actions: tuple[str, dict[str, Any]] | None = None
) -> HTMLResponse:
    """The cached public page with the signed-in visitor's header (and actions) put in: private, not stored."""
    token = csrf_token(request)
    body = with_personal_header(request, page.body, user)
    if actions is not None:
        name, context = actions
        personal = render_fragment(request, name, user=user, csrf_field=CSRF_FIELD, csrf_token=token, **context)
        body = body.replace(PERSONAL_ACTIONS, personal.encode(), 1)
    response = HTMLResponse(body, headers={"Cache-Control": "no-store", "Vary": VARY})
    remember_language(request, response)
    store_csrf_cookie(request, response)
    return response


def with_personal_header(request: Request, body: bytes, user: SignedIn) -> bytes:
    """body with the signed-in visitor's links (home, change password, Log out) in place of the Log in link."""
    start = body.find(PERSONAL_HEADER)
    end = body.find(PERSONAL_HEADER_END, start)
    if start < 0 or end < 0:
        return body
    header = render_fragment(
        request, "workspace/account_tools.html", user=user, csrf_field=CSRF_FIELD, csrf_token=csrf_token(request)
    )
    return body[:start] + header.encode() + body[end + len(PERSONAL_HEADER_END) :]


def personal_page(request: Request, response: HTMLResponse, user: SignedIn | None) -> HTMLResponse:
    """An uncached public page as a signed-in visitor sees it (their links in the header): private, not stored."""
    if user is None:
        return response
    body = with_personal_header(request, bytes(response.body), user)
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "cache-control")}
    personal = HTMLResponse(body, status_code=response.status_code, headers=headers)
    personal.headers["Cache-Control"] = "no-store"
    store_csrf_cookie(request, personal)
    return personal


async def cached_page(
    request: Request,
    tenant_id: str,
    render: Render,
    *,
    key: Hashable = "page",
    actions: tuple[str, dict[str, Any]] | None = None,
    media_type: str = HTML,
    personal: bool = True,
) -> Response:
    """The page from the page cache or render() (its anonymous body and tags), answered as the visitor needs.

    actions: the template (and its context) of a signed-in visitor's page actions, put in at PERSONAL_ACTIONS.
    personal: False for a document that is the same for everyone (a feed): no session is looked at.
    """
    cache: PageCache = request.app.state.page_cache
    page = await cache.get_or_render(cache_key(request, tenant_id, key), render)
    user = await signed_in(request) if personal else None
    if user is not None:
        return personal_response(request, page, user, actions=actions)
    return page_response(request, page, media_type=media_type)


def cached_public_page(request: Request) -> Response | None:
    """A public page as its route answers it from the page cache, if fresh there and the visitor has no
    session cookie; else None. Answered before routing: routing and dependencies took two thirds of a
    cached page's CPU."""
    cache: PageCache = request.app.state.page_cache
    tenant_id = resolved_tenant(request)  # None for static assets, which the gate lets by
    if not cache.enabled or SESSION_COOKIE in request.cookies or tenant_id is None:
        return None
    page = cache.fresh(cache_key(request, tenant_id, "page"))
    return None if page is None else page_response(request, page)
