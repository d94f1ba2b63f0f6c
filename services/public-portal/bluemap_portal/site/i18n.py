"""The site's languages: gettext catalogs, the page language of a request, and Babel formatting."""

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache, lru_cache

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_decimal
from babel.support import Translations

from bluemap_portal.clock import CHINA
from bluemap_portal.site.catalogs import compile_catalog

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANGUAGE_COOKIE = "lang"
HTML_LANG = {"zh": "zh-Hans", "en": "en"}
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
LOCALES = {"zh": Locale.parse("zh_Hans_CN"), "en": Locale.parse("en")}
# zh reads best in the long form (2020年2月20日), English in the medium one (Feb 20, 2020).
DATE_FORMATS = {"zh": "long", "en": "medium"}


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@cache
def translations(lang: str) -> Translations:
    """The language's catalog, compiled from its .po file once per process."""
    return compile_catalog(language(lang))


def gettext(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def ngettext(lang: str, singular: str, plural: str, count: int) -> str:
    return translations(lang).ngettext(singular, plural, count)


def language(value: str | None) -> str:
    """The language a ?lang= value or cookie names: "en" (or en-*) is English, anything else Chinese."""
    return "en" if (value or "").strip().lower().split("-")[0] == "en" else DEFAULT_LANGUAGE


def chosen_language(value: str | None) -> str | None:
    """The language a visitor picked explicitly (?lang=, cookie), or None when the value names none of ours."""
    primary = (value or "").strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else None


def accepted_language(header: str | None) -> str | None:
    """The first of our languages an Accept-Language header prefers (by q, then order), if any."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """?lang= first, then the sticky cookie, then Accept-Language, else Chinese."""
    return chosen_language(query) or chosen_language(cookie) or accepted_language(accept_language) or DEFAULT_LANGUAGE


def format_date(value: date | datetime | None, lang: str) -> str:
    """A calendar date in the language's usual form; an instant is shown as its date in China."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(CHINA).date()
    return _format_calendar_date(value, language(lang))


@lru_cache(maxsize=8192)
def _format_calendar_date(value: date, lang: str) -> str:
    # Babel takes ~20 µs a date and an enterprise page prints a few hundred, mostly the same few.
    return babel_format_date(value, DATE_FORMATS[lang], locale=LOCALES[lang])


def format_datetime(value: datetime | None, lang: str) -> str:
    """An instant as date and time in China (UTC+8), which is what records and deadlines refer to."""
    if value is None:
        return "—"
    return babel_format_datetime(value, "medium", tzinfo=CHINA, locale=LOCALES[language(lang)])


@lru_cache(maxsize=8192)
def format_number(value: float, lang: str) -> str:
    # Babel takes ~20 µs a number; a page prints dozens (counts, file sizes), mostly small ones.
    return format_decimal(value, locale=LOCALES[language(lang)])


@lru_cache(maxsize=8192)
def file_size(size: int, lang: str = DEFAULT_LANGUAGE) -> str:
    locale = LOCALES[language(lang)]
    if size < 1024:
        return f"{format_decimal(size, locale=locale)} B"
    if size < 1024 * 1024:
        return f"{format_decimal(round(size / 1024), locale=locale)} KB"
    return f"{format_decimal(size / (1024 * 1024), format='#,##0.0', locale=locale)} MB"


STATUS_LABELS: Mapping[str, str] = {
    "awaiting_explanation": N_("Awaiting explanation"),
    "explanation_submitted": N_("Explanation submitted"),
    "overdue": N_("Overdue"),
    "under_review": N_("Explanation under review"),
    "explained": N_("Explained"),
    "resolved": N_("Resolved"),
    "restored": N_("Restored"),
    "published": N_("Published"),
}


def status_label(status: str, lang: str) -> str:
    """A record's public status in the language; a status newer than this table shows as its code."""
    message = STATUS_LABELS.get(status)
    return gettext(lang, message) if message else status


# Document kinds and supporting-document categories: a copy of the documents service's catalogue,
# official names in both languages, like the record types. Unknown codes show as given.
DOCUMENT_LABELS: dict[str, dict[str, str]] = {
    "signed-explanation": {"zh": "签章版公开说明", "en": "Signed public explanation"},
    "supporting": {"zh": "整改佐证材料", "en": "Supporting document"},
    "corrective_action_plan": {"zh": "整改方案", "en": "Corrective Action Plan"},
    "discharge_permit": {"zh": "排污许可证", "en": "Discharge Permit"},
    "eia_report": {"zh": "环评报告", "en": "EIA Report"},
    "eia_approval": {"zh": "环评批复", "en": "EIA Report Approval"},
    "three_simultaneities": {"zh": "“三同时”验收", "en": '"Three synchronizations" requirement for EIAs'},
    "emergency_plan": {"zh": "应急预案", "en": "Emergency Plan(s)"},
    "testing_report": {"zh": "检测报告", "en": "Testing Report(s)"},
    "hazardous_waste": {"zh": "危险废物相关文件", "en": "Hazardous Waste Related Doc"},
    "facility_operation_record": {"zh": "污染治理设施运行记录", "en": "Pollution Facility Operation Record(s)"},
    "other": {"zh": "其他佐证材料", "en": "Other Supporting Document(s)"},
}


def document_label(kind: str, category: str | None, lang: str) -> str:
    """A document's category when it has one, else its kind, in the page's language."""
    code = category or kind
    return DOCUMENT_LABELS.get(code, {}).get(language(lang), code)
