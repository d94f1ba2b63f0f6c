"""Page rendering: Jinja2 templates with autoescaping and gettext, and what every page needs.

Every `bluemap_portal/<module>/templates/` folder is on the template path (site first); keep a module's
own templates in a subfolder named after it (workspace/templates/workspace/home.html) and extend
"base.html". Static files likewise come from every `bluemap_portal/<module>/static/` at /static/.
"""

import hashlib
from collections.abc import Callable, Hashable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, nodes, pass_context
from jinja2.runtime import Context
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from bluemap_portal.clock import china_date, china_today
from bluemap_portal.record_types import record_type
from bluemap_portal.regions import region_label
from bluemap_portal.site.i18n import (
    DEFAULT_LANGUAGE,
    HTML_LANG,
    LANGUAGE_COOKIE,
    LANGUAGE_NAMES,
    LANGUAGES,
    N_,
    chosen_language,
    document_label,
    file_size,
    format_date,
    format_datetime,
    format_number,
    negotiate,
    status_label,
    translations,
)
from bluemap_portal.site.paging import page_window
from bluemap_portal.tenancy import current_profile

PACKAGE = Path(__file__).resolve().parents[1]
SITE_NAME = N_("Blue Map · Enterprise Environmental Disclosure")
# Footer links: each service's OpenAPI document, at the path it is mounted at.
SERVICES = ("records", "explanations", "documents", "notifications", "public-portal")
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600


def module_folders(name: str) -> list[Path]:
    """The package's folders called name: the site's first, then every other module's."""
    site = PACKAGE / "site" / name
    others = sorted(p for p in PACKAGE.glob(f"*/{name}") if p.is_dir() and p != site)
    return [site, *others]


def _lang_of(context: Context) -> str:
    lang = str(context.get("lang"))
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


# Installed once as the environment's gettext: each render's own context names its language,
# so concurrent requests in different languages never share a translation. They are Jinja's new-style
# gettext functions (autoescaped, %-formatted with their keyword arguments) written out: wrapping plain
# functions with install_gettext_callables costs three Context.call per _() (alias, wrapper, function),
# a third of an enterprise page's render.
def _formatted(message: str, variables: dict[str, Any], autoescape: bool) -> str:
    if autoescape:
        message = Markup(message)  # noqa: S704 -- our own catalogs, as Jinja itself does
    return message % variables


def _newstyle(context: Context, message: str, variables: dict[str, Any]) -> str:
    return _formatted(message, variables, bool(context.eval_ctx.autoescape))


@lru_cache(maxsize=4096)
def _translated(lang: str, message: str, autoescape: bool) -> str:
    # An enterprise page says _() about 540 times, mostly the same few dozen labels without variables.
    return _formatted(translations(lang).gettext(message), {}, autoescape)


@pass_context
def _gettext(context: Context, message: str, /, **variables: Any) -> str:
    if not variables:
        return _translated(_lang_of(context), message, bool(context.eval_ctx.autoescape))
    return _newstyle(context, translations(_lang_of(context)).gettext(message), variables)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int, /, **variables: Any) -> str:
    variables.setdefault("num", count)
    return _newstyle(context, translations(_lang_of(context)).ngettext(singular, plural, count), variables)


@pass_context
def _pgettext(context: Context, message_context: str, message: str, /, **variables: Any) -> str:
    variables.setdefault("context", message_context)
    return _newstyle(context, str(translations(_lang_of(context)).pgettext(message_context, message)), variables)


@pass_context
def _npgettext(
    context: Context, message_context: str, singular: str, plural: str, count: int, /, **variables: Any
) -> str:
    variables.setdefault("context", message_context)
    variables.setdefault("num", count)
    translated = translations(_lang_of(context)).npgettext(message_context, singular, plural, count)
    return _newstyle(context, translated, variables)


class _CompiledTranslations(NodeTransformer):
    """Replaces `_("text")` and `{% trans %}text{% endtrans %}` (no variables) by the language's translation."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def visit_Call(self, node: nodes.Call) -> nodes.Node:  # noqa: N802 (the visitor's naming)
        self.generic_visit(node)
        callee = node.node
        if (
            isinstance(callee, nodes.Name)
            and callee.name in ("_", "gettext")
            and len(node.args) == 1
            and isinstance(node.args[0], nodes.Const)
            and isinstance(node.args[0].value, str)
            and not node.kwargs
            and node.dyn_args is None
            and node.dyn_kwargs is None
        ):
            # What _gettext answers at run time, % formatting with no variables included ("%%" -> "%").
            translated = translations(self.lang).gettext(node.args[0].value) % {}
            return nodes.MarkSafeIfAutoescape(nodes.Const(translated), lineno=node.lineno)
        return node


class LanguageEnvironment(Environment):
    """An environment whose templates are compiled for one language: constant messages translated once."""

    def __init__(self, lang: str, **options: Any) -> None:
        super().__init__(**options)
        self.lang = lang

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        translated: nodes.Template = _CompiledTranslations(self.lang).visit(tree)
        return translated


def create_environment(lang: str = DEFAULT_LANGUAGE) -> Environment:
    environment = LanguageEnvironment(
        lang,
        loader=FileSystemLoader([str(p) for p in module_folders("templates") if p.is_dir()]),
        autoescape=True,  # every template, whatever its file name: record text is never trusted
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,  # templates are part of the release: compiled once per process and language
        cache_size=-1,
    )
    environment.policies["ext.i18n.trimmed"] = True
    environment.newstyle_gettext = True  # type: ignore[attr-defined]
    environment.globals.update(
        _=_gettext, gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, npgettext=_npgettext
    )
    return environment


# One per language; a page is rendered by the environment of its language (its constant messages compiled in).
ENVIRONMENTS = {lang: create_environment(lang) for lang in LANGUAGES}


def template(lang: str, name: str) -> Template:
    """The compiled template for the language (loaded once, then from the environment's cache)."""
    return ENVIRONMENTS[lang if lang in ENVIRONMENTS else DEFAULT_LANGUAGE].get_template(name)


@cache
def _static_version(path: str) -> str:
    for folder in module_folders("static"):
        file = folder / path
        if file.is_file():
            return hashlib.sha256(file.read_bytes()).hexdigest()[:12]
    return "0"


def is_web_url(url: str | None) -> bool:
    """Only http(s) links become hrefs; escaping does not make a javascript: URL safe."""
    return bool(url) and str(url).lower().startswith(("https://", "http://"))


def page_language(request: Request) -> str:
    """The language of the page: ?lang=, else the cookie set by an earlier ?lang=, else Accept-Language, else zh."""
    return negotiate(
        request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )


def root_path(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def link_builder(request: Request, lang: str) -> Callable[..., str]:
    """href(path, **params): a site link that keeps the page language (?lang=en; Chinese only once chosen)."""
    root = root_path(request)
    # Without cookies, a visitor who picked Chinese over an English browser would lose the choice on the next link.
    explicit = chosen_language(request.query_params.get("lang")) is not None

    def href(path: str, *, lang: str = lang, **params: Any) -> str:
        query = {k: v for k, v in params.items() if v not in (None, "")}
        if lang != DEFAULT_LANGUAGE or explicit:
            query["lang"] = lang
        return root + path + ("?" + urlencode(query, doseq=True) if query else "")

    return href


def site_name(request: Request, lang: str) -> str:
    """The tenant's display name in lang; the platform's while the portal knows no tenant."""
    profile = current_profile(request)
    if profile is None:
        return translations(lang).gettext(SITE_NAME)
    return profile.name_zh if lang == "zh" else profile.name_en


def brand_stylesheet(request: Request) -> str | None:
    """The tenant's colours (/brand.css, named by the colour so caches keep it), None while no tenant is known."""
    profile = current_profile(request)
    return None if profile is None else f"{root_path(request)}/brand.css?c={profile.brand_colour[1:].lower()}"


def page_context(request: Request, **extra: Any) -> dict[str, Any]:
    """What every page template needs: language, links that keep it, formatting helpers."""
    lang = page_language(request)
    root = root_path(request)
    href = link_builder(request, lang)
    here = request.url.path.removeprefix(root) or "/"
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    other = "en" if lang == "zh" else "zh"

    def static(path: str) -> str:
        return f"{root}/static/{path}?v={_static_version(path)}"

    return {
        "lang": lang,
        # Forms carry the language as links do (GET forms drop the query of their action).
        "keep_lang": lang != DEFAULT_LANGUAGE or chosen_language(request.query_params.get("lang")) is not None,
        "html_lang": HTML_LANG[lang],
        # The tenant's own name, text (escaped like any data): never through _(), which marks its result safe.
        "site_name": site_name(request, lang),
        "brand_css": brand_stylesheet(request),
        "href": href,
        "static": static,
        # The switch always names the language, so ?lang=zh also overrides a sticky English cookie.
        "switch_href": f"{root}{here}?{urlencode([*params, ('lang', other)])}",
        "switch_lang": other,
        "switch_html_lang": HTML_LANG[other],
        "switch_label": LANGUAGE_NAMES[other],
        "services": SERVICES,
        "record_type": record_type,
        "region_label": lambda code: region_label(code, lang),
        "status_label": lambda status: status_label(status, lang),
        "document_label": lambda kind, category=None: document_label(kind, category, lang),
        "format_date": lambda value: format_date(value, lang),
        "format_datetime": lambda value: format_datetime(value, lang),
        "format_number": lambda value: format_number(value, lang),
        "file_size": lambda size: file_size(size, lang),
        "china_date": china_date,
        "is_web_url": is_web_url,
        "page_window": page_window,
        **extra,
    }


def remember_language(request: Request, response: Response) -> None:
    """A ?lang= choice sticks: later pages without it are shown in that language."""
    chosen = chosen_language(request.query_params.get("lang"))
    if chosen is not None and request.cookies.get(LANGUAGE_COOKIE) != chosen:
        response.set_cookie(
            LANGUAGE_COOKIE,
            chosen,
            max_age=LANGUAGE_COOKIE_MAX_AGE,
            path=root_path(request) or "/",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="lax",
        )


def render(request: Request, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page in the request's language; the language choice is remembered, caches told it varies."""
    page = page_context(request, **context)
    response = HTMLResponse(template(page["lang"], name).render(page), status_code=status_code)
    remember_language(request, response)
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def cache_key(request: Request, *parts: Hashable) -> tuple[Hashable, ...]:
    """What a cached page depends on beyond its data: path, query, language and how it was chosen, root path, day."""
    explicit = chosen_language(request.query_params.get("lang")) is not None
    query = tuple(sorted(item for item in request.query_params.multi_items() if item[0] != "lang"))
    return (request.url.path, query, page_language(request), explicit, root_path(request), china_today(), *parts)


def render_fragment(request: Request, name: str, **context: Any) -> str:
    """A piece of a page (no frame) in the request's language, e.g. a signed-in visitor's header."""
    page = page_context(request, **context)
    return template(page["lang"], name).render(page)


ERRORS = {
    404: (N_("Not found"), N_("There is no such enterprise or page.")),
    400: (N_("Bad request"), N_("The request's parameters are not valid.")),
    503: (N_("Service unavailable"), N_("The service cannot answer right now; please try again later.")),
}


def error_page(request: Request, status_code: int) -> HTMLResponse:
    title, message = ERRORS.get(status_code, ERRORS[503])
    return render(request, "error.html", status_code=status_code, title=title, message=message)
