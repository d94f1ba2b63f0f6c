"""Message catalogs: extraction (babel.cfg), updating the .po files, compiling them in-process.

The .po files are the source of truth and the only catalogs in git; each process compiles them when
it starts, so `pip install -e`, a wheel and the Dockerfile need no build step.
To add or change texts, then fill in the Chinese msgstr of every new entry in zh/LC_MESSAGES/messages.po:
    python -m bluemap_portal.site.catalogs update    (or: pybabel extract/update, see babel.cfg)
"""

import argparse
import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

PACKAGE = Path(__file__).resolve().parents[1]
PROJECT = PACKAGE.parent
TRANSLATIONS = PACKAGE / "translations"
DOMAIN = "messages"
CATALOG_LANGUAGES = ("zh", "en")
# N_ marks texts in Python tables, translated where they are shown.
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: str) -> Catalog:
    with po_path(lang).open("rb") as fp:
        return read_po(fp, locale=lang, domain=DOMAIN)


def compile_catalog(lang: str) -> Translations:
    """The language's Translations from its .po file; fuzzy entries are left out, as msgfmt does."""
    catalog = read_catalog(lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def extract() -> Catalog:
    """Every message of the package's Python code and templates, as babel.cfg maps them."""
    with (PROJECT / "babel.cfg").open(encoding="utf-8") as fp:
        method_map, options_map = parse_mapping_cfg(fp)  # type: ignore[no-untyped-call]
    template = Catalog(project="bluemap-portal", domain=DOMAIN, charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PROJECT), method_map, options_map, keywords=KEYWORDS, comment_tags=("Translators:",)
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def _write(path: Path, catalog: Catalog) -> None:
    catalog.project, catalog.version = "bluemap-portal", ""
    catalog.copyright_holder, catalog.msgid_bugs_address = "Blue Map", ""
    catalog.header_comment = "# Texts of the Blue Map public portal: `python -m bluemap_portal.site.catalogs update`."
    catalog.fuzzy = False
    buffer = io.BytesIO()
    # No line numbers and sorted: two people adding texts at once get small diffs that merge.
    write_po(buffer, catalog, width=100, include_lineno=False, sort_output=True, ignore_obsolete=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def update() -> dict[str, list[str]]:
    """Write messages.pot and merge it into each language's .po; the msgids still untranslated, per language."""
    template = extract()
    _write(TRANSLATIONS / f"{DOMAIN}.pot", template)
    missing: dict[str, list[str]] = {}
    for lang in CATALOG_LANGUAGES:
        path = po_path(lang)
        catalog = read_catalog(lang) if path.exists() else Catalog(locale=lang, domain=DOMAIN, charset="utf-8")
        # Fuzzy matching guesses translations from similar texts; a wrong guess would ship silently.
        catalog.update(template, no_fuzzy_matching=True)
        _write(path, catalog)
        missing[lang] = [str(m.id) for m in catalog if m.id and not m.string]
    return missing


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bluemap_portal.site.catalogs")
    parser.add_argument("command", choices=["update"], help="extract messages and merge them into the .po files")
    parser.parse_args(argv)
    for lang, msgids in update().items():
        # English msgids are the English text: an empty English msgstr falls back to them.
        if lang != "en" and msgids:
            print(f"{lang}: {len(msgids)} untranslated")
            for msgid in msgids:
                print(f"  {msgid}")


if __name__ == "__main__":
    main()
