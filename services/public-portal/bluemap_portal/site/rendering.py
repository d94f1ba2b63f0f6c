"""Page rendering: Jinja2 templates with autoescaping, and what every page needs."""

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined

from bluemap_portal.record_types import record_type
from bluemap_portal.site.i18n import TEXT, format_date, language, record_count, status_label

# Footer links: each service's OpenAPI document, at the path it is mounted at.
SERVICES = ("records", "explanations", "documents", "notifications", "public-portal")
templates = Jinja2Templates(
    env=Environment(
        loader=PackageLoader("bluemap_portal", "site/templates"),
        autoescape=True,  # every template, whatever its file name: record text is never trusted
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)


def is_web_url(url: str | None) -> bool:
    """Only http(s) links become hrefs; escaping does not make a javascript: URL safe."""
    return bool(url) and str(url).lower().startswith(("https://", "http://"))


def page_context(request: Request, **extra: Any) -> dict[str, Any]:
    """What every page template needs: language, words, and links that keep the language."""
    lang = language(request.query_params.get("lang"))
    root = str(request.scope.get("root_path", "")).rstrip("/")

    def href(path: str, *, lang: str = lang, **params: Any) -> str:
        query = {k: v for k, v in params.items() if v not in (None, "")}
        if lang == "en":
            query["lang"] = "en"
        return root + path + ("?" + urlencode(query) if query else "")

    switch_params = {k: v for k, v in request.query_params.items() if k != "lang"}
    return {
        "lang": lang,
        "t": TEXT[lang],
        "href": href,
        "switch_href": href(
            request.url.path.removeprefix(root) or "/", lang="zh" if lang == "en" else "en", **switch_params
        ),
        "services": SERVICES,
        "record_type": record_type,
        "status_label": status_label,
        "format_date": format_date,
        "record_count": record_count,
        "is_web_url": is_web_url,
        **extra,
    }


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, page_context(request, **context), status_code=status_code)


def error_page(request: Request, status_code: int) -> HTMLResponse:
    kind = {404: "not_found", 400: "bad_request"}.get(status_code, "error")
    return render(request, "error.html", status_code=status_code, kind=kind)
