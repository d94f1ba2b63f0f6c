"""Pure logic of the site: regions, page links, CSV cells, Atom documents."""

import csv
import io
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest

from bluemap_portal.regions import region_choices, region_label, region_prefix
from bluemap_portal.site.exports import csv_line, neutralise
from bluemap_portal.site.feeds import ATOM, Entry, Link, atom_feed, tag_uri
from bluemap_portal.site.paging import Paging, page_window

NS = {"a": ATOM}


def test_region_filters_are_code_prefixes() -> None:
    assert region_prefix("6101") == "6101"
    assert region_prefix("610100") == "6101"
    assert region_prefix("610000") == "61"
    assert region_prefix(" 61 ") == "61"
    assert region_prefix("610113") == "610113"
    assert region_prefix("") is None
    assert region_prefix(None) is None
    for bad in ("6", "61010", "xian", "61%", "6101000"):
        with pytest.raises(ValueError, match="GB/T 2260"):
            region_prefix(bad)


def test_region_names_in_both_languages() -> None:
    assert region_label("610100", "zh") == "陕西省 西安市"
    assert region_label("610100", "en") == "Xi'an, Shaanxi"
    assert region_label("610113", "zh") == "陕西省 西安市 (610113)"
    assert region_label("610000", "en") == "Shaanxi"
    assert region_label("110105", "zh") == "北京市 (110105)"
    assert region_label("620300", "zh") == "甘肃省 (620300)"  # a city this table does not name
    assert region_label("999999", "zh") == "999999"
    assert region_label(None, "zh") == "—"


def test_region_choices_offer_provinces_and_their_cities() -> None:
    groups = region_choices(["610113", "610100", "610502", "110105", None, "bogus", "440300"], "zh")
    assert [(g.code, g.label) for g in groups] == [("11", "北京市"), ("44", "广东省"), ("61", "陕西省")]
    assert groups[0].cities == []  # a municipality is chosen as a whole
    assert groups[2].cities == [("6101", "西安市"), ("6105", "渭南市")]


def test_pages_and_their_links() -> None:
    paging = Paging(page=3, page_size=20, total=41)
    assert (paging.pages, paging.offset) == (3, 40)
    assert Paging(1, 20, 0).pages == 1
    assert page_window(1, 1) == [1]
    assert page_window(5, 10) == [1, None, 3, 4, 5, 6, 7, None, 10]
    assert page_window(2, 5) == [1, 2, 3, 4, 5]
    assert page_window(10, 10) == [1, None, 8, 9, 10]


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
        ("+86 29 1234", "'+86 29 1234"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("陕西永安兴庆门业有限公司", "陕西永安兴庆门业有限公司"),
        ("a=b", "a=b"),
        (2020, "2020"),
        (None, ""),
    ],
)
def test_spreadsheet_formulas_are_neutralised(cell: object, shown: str) -> None:
    assert neutralise(cell) == shown


def test_csv_lines_quote_and_neutralise() -> None:
    line = csv_line(['=cmd|"/c calc"!A1', "含,逗号", 'say "hi"', None])
    assert line.endswith("\r\n")
    assert next(csv.reader(io.StringIO(line))) == ['\'=cmd|"/c calc"!A1', "含,逗号", 'say "hi"', ""]


def test_atom_feeds_are_well_formed_and_escaped() -> None:
    when = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
    hostile = "<script>alert('x')</script> & \x00\x1b"
    entry = Entry(
        id=tag_uri("bluemap.example.org,2025", "ipe", "records", "42"),
        title=hostile,
        updated=when,
        published=when,
        content=hostile,
        links=[
            Link("https://example.org/a?x=1&y=2"),
            Link("https://d.example/x.pdf", "enclosure", "application/pdf", 9),
        ],
        category=("accident", "事故"),
    )
    body = atom_feed(
        feed_id="tag:bluemap.example.org,2025:ipe/feeds/x",
        title="企业 <b>",
        subtitle="s",
        lang="zh",
        self_url="https://example.org/feed.atom",
        page_url="https://example.org/",
        site_url="https://example.org/",
        author="蔚蓝地图",
        entries=[entry],
    )
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert b"<script>" not in body
    feed = ElementTree.fromstring(body)
    assert feed.tag == f"{{{ATOM}}}feed"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-Hans"
    assert feed.findtext("a:title", namespaces=NS) == "企业 <b>"
    assert feed.findtext("a:updated", namespaces=NS) == "2024-05-06T12:00:00Z"
    [item] = feed.findall("a:entry", NS)
    assert item.findtext("a:id", namespaces=NS) == "tag:bluemap.example.org,2025:ipe/records/42"
    assert item.findtext("a:title", namespaces=NS) == "<script>alert('x')</script> & \ufffd\ufffd"
    enclosure = item.find("a:link[@rel='enclosure']", NS)
    assert enclosure is not None
    assert enclosure.get("length") == "9"
    assert item.find("a:category", NS).get("term") == "accident"  # type: ignore[union-attr]


def test_an_empty_feed_still_has_a_stable_updated() -> None:
    body = atom_feed(
        feed_id="tag:x,2025:t/feeds/empty",
        title="t",
        subtitle="s",
        lang="en",
        self_url="http://h/f",
        page_url="http://h/",
        site_url="http://h/",
        author="a",
        entries=[],
    )
    assert ElementTree.fromstring(body).findtext("a:updated", namespaces=NS) == "2000-01-01T00:00:00Z"
