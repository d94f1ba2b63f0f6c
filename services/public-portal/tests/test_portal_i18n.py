"""The catalogs cover every text, languages are negotiated as promised, and Babel formats per language."""

from datetime import UTC, date, datetime

import pytest
from babel.messages.pofile import read_po

from bluemap_portal.site import catalogs
from bluemap_portal.site.i18n import (
    accepted_language,
    chosen_language,
    file_size,
    format_date,
    format_datetime,
    format_number,
    gettext,
    negotiate,
    ngettext,
    status_label,
)


def _key(message_id: str | tuple[str, ...] | list[str]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def _forms(msgstr: str | tuple[str, ...]) -> tuple[str, ...]:
    return msgstr if isinstance(msgstr, tuple) else (msgstr,)


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    return {_key(m.id) for m in catalogs.extract() if m.id}


def test_every_text_of_the_code_and_templates_is_in_the_catalogs(extracted: set[str]) -> None:
    # Fails until `python -m bluemap_portal.site.catalogs update` has been run after a text changed.
    with (catalogs.TRANSLATIONS / "messages.pot").open("rb") as fp:
        template = {_key(m.id) for m in read_po(fp) if m.id}
    assert sorted(extracted - template) == [], "messages.pot is stale"
    for lang in catalogs.CATALOG_LANGUAGES:
        listed = {_key(m.id) for m in catalogs.read_catalog(lang) if m.id}
        assert sorted(extracted - listed) == [], f"missing from {lang}/LC_MESSAGES/messages.po"


def test_every_text_has_a_chinese_translation(extracted: set[str]) -> None:
    catalog = catalogs.read_catalog("zh")
    untranslated = [
        _key(m.id)
        for m in catalog
        if m.id
        and _key(m.id) in extracted
        and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert untranslated == [], "fill in the Chinese msgstr of these (and clear their fuzzy flag)"


@pytest.mark.parametrize("lang", catalogs.CATALOG_LANGUAGES)
def test_translations_keep_their_placeholders(lang: str) -> None:
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogs.read_catalog(lang).check() if errors]
    assert problems == []


def test_catalogs_compile_and_translate() -> None:
    assert gettext("zh", "Search") == "搜索"
    assert gettext("en", "Search") == "Search"
    assert ngettext("zh", "%(num)s record", "%(num)s records", 3) % {"num": 3} == "3 条"
    assert ngettext("en", "%(num)s record", "%(num)s records", 1) % {"num": 1} == "1 record"
    assert status_label("overdue", "zh") == "逾期未说明"
    assert status_label("under_review", "en") == "Explanation under review"


def test_the_query_beats_the_cookie_which_beats_the_browser() -> None:
    assert negotiate("en", "zh", "zh-CN") == "en"
    assert negotiate(None, "en", "zh-CN,zh;q=0.9") == "en"
    assert negotiate("fr", "en", None) == "en"  # a language we do not have is no choice
    assert negotiate(None, None, "en-GB,en;q=0.9,zh;q=0.5") == "en"
    assert negotiate(None, None, "fr-FR,zh-TW;q=0.8,en;q=0.7") == "zh"
    assert negotiate(None, None, "de, en;q=0") == "zh"
    assert negotiate(None, None, None) == "zh"
    assert negotiate("", "", "") == "zh"


def test_accept_language_is_ranked_by_quality() -> None:
    assert accepted_language("zh;q=0.3, en;q=0.8") == "en"
    assert accepted_language("en;q=0.5, zh-Hans-CN") == "zh"
    assert accepted_language("en;q=oops, zh;q=0.1") == "zh"
    assert accepted_language("*") is None
    assert chosen_language("EN") == "en"
    assert chosen_language("zh_Hans") == "zh"
    assert chosen_language("<script>") is None


def test_numbers_sizes_and_times_follow_the_language() -> None:
    assert format_number(12345, "zh") == "12,345"
    assert format_number(1234567, "en") == "1,234,567"
    assert file_size(3 * 1024 * 1024 + 200_000, "en") == "3.2 MB"
    # Times are shown in China (UTC+8), the records' own time zone.
    assert format_datetime(datetime(2024, 5, 1, 0, 0, tzinfo=UTC), "zh") == "2024年5月1日 08:00:00"
    assert format_datetime(datetime(2024, 5, 1, 0, 0, tzinfo=UTC), "en").startswith("May 1, 2024, 8:00:00")
    assert format_datetime(None, "en") == "—"


def test_dates_of_instants_are_dates_in_china() -> None:
    assert format_date(datetime(2024, 12, 31, 16, 30, tzinfo=UTC), "zh") == "2025年1月1日"
    assert format_date(date(2024, 12, 31), "en") == "Dec 31, 2024"
