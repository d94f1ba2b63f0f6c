"""Every rule of the import format (v1), each with a row that breaks it."""

from datetime import date

import pytest

from bluemap_records.imports.parsing import RowProblem, SourceRow
from bluemap_records.imports.validation import ValidRow, validate_row
from bluemap_records.records.content import RecordContent

LATEST = 2027  # "next year" for these tests
GOOD = {
    "uscc": "91610100992777567D",
    "enterprise_name": "陕西永安兴庆门业有限公司",
    "enterprise_name_en": "Shaanxi Yong'an Xingqing Door Industry Co., Ltd.",
    "region_code": "610100",
    "registered_email": "ehs@yongan-xingqing.example.cn",
    "record_type": "environmental_supervision",
    "year": "2020",
    "source_title": "关于对强化监督定点帮扶发现问题进行督办的函(西安)",
    "issuing_authority": "中华人民共和国生态环境部",
    "issued_on": "2020-02-20",
    "source_url": "https://www.mee.gov.cn/",
    "summary": "强化监督定点帮扶发现：喷漆房废气收集处理设施未正常运行。",
    "external_id": "MEE-2020-0220-017",
}


def check(**changes: str) -> ValidRow | list[RowProblem]:
    values = {**GOOD, **changes}
    return validate_row(SourceRow(line=7, values=values, raw=list(values.values())), latest_year=LATEST)


def problems(**changes: str) -> list[tuple[str, str]]:
    result = check(**changes)
    assert isinstance(result, list), "the row should have been rejected"
    return [(p.column, p.reason) for p in result]


def test_a_good_row_comes_out_normalised() -> None:
    row = check(uscc=" 91610100992777567d ", enterprise_name="  陕西永安兴庆门业有限公司 ", issued_on="2020年2月20日")
    assert isinstance(row, ValidRow)
    assert row.line == 7
    assert row.uscc == "91610100992777567D"
    assert row.enterprise.name == "陕西永安兴庆门业有限公司"
    assert row.content.issued_on == date(2020, 2, 20)
    assert row.identity == ("external", "中华人民共和国生态环境部", "MEE-2020-0220-017")
    assert row.sha256 == row.content.sha256()


def test_optional_columns_may_be_empty_or_missing() -> None:
    row = check(enterprise_name_en="", region_code="", registered_email="", source_url="", summary="", external_id="")
    assert isinstance(row, ValidRow)
    assert row.enterprise.name_en is None
    assert row.enterprise.email is None
    assert (row.content.source_url, row.content.summary, row.content.external_id) == (None, None, None)
    assert row.identity == (
        "natural", "91610100992777567D", "environmental_supervision", "中华人民共和国生态环境部", "2020-02-20",
        "关于对强化监督定点帮扶发现问题进行督办的函(西安)",
    )  # fmt: skip


@pytest.mark.parametrize(
    "column", ["uscc", "enterprise_name", "record_type", "year", "source_title", "issuing_authority", "issued_on"]
)
@pytest.mark.parametrize("empty", ["", "   "])
def test_required_columns(column: str, empty: str) -> None:
    assert problems(**{column: empty}) == [(column, "required")]


@pytest.mark.parametrize(
    ("uscc", "reason"),
    [
        ("91610100992777567", "USCC must have 18 characters, got 17"),
        ("91610100992777567DD", "USCC must have 18 characters, got 19"),
        ("9161010099277756IO", "characters outside 0-9 A-H J-N P-R T U W-Y: IO"),
        ("91610100992777567A", "USCC check digit is A, expected D"),
        ("９１610100992777567D", "characters outside"),
    ],
)
def test_uscc_alphabet_length_and_check_digit(uscc: str, reason: str) -> None:
    [(column, found)] = problems(uscc=uscc)
    assert column == "uscc"
    assert reason in found


def test_enterprise_name_is_1_to_200_characters() -> None:
    assert isinstance(check(enterprise_name="企" * 200), ValidRow)
    assert problems(enterprise_name="企" * 201) == [("enterprise_name", "at most 200 characters, got 201")]


def test_english_name_is_at_most_300_characters() -> None:
    assert problems(enterprise_name_en="E" * 301) == [("enterprise_name_en", "at most 300 characters, got 301")]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("61010", "must be 6 digits"),
        ("6101000", "must be 6 digits"),
        ("61O100", "must be 6 digits"),
        ("990100", "names no province"),
    ],
)
def test_region_code_is_a_gbt_2260_code(code: str, reason: str) -> None:
    [(column, found)] = problems(region_code=code)
    assert column == "region_code"
    assert reason in found


@pytest.mark.parametrize("address", ["ehs@", "not an address", "ehs@localhost", "a b@example.cn", "ehs@@x.cn"])
def test_registered_email_must_be_valid_when_present(address: str) -> None:
    [(column, found)] = problems(registered_email=address)
    assert column == "registered_email"
    assert "not a valid email address" in found


def test_registered_email_is_normalised_like_the_api() -> None:
    row = check(registered_email=" EHS@Yongan-Xingqing.Example.CN ")
    assert isinstance(row, ValidRow)
    assert row.enterprise.email == "EHS@yongan-xingqing.example.cn"


def test_record_type_is_one_code_of_the_table() -> None:
    assert problems(record_type="environmental supervision") == [
        ("record_type", "unknown record type 'environmental supervision'")
    ]
    assert problems(record_type="环境监管记录") == [("record_type", "unknown record type '环境监管记录'")]


@pytest.mark.parametrize(
    ("year", "reason"),
    [
        ("1989", "year must be between 1990 and 2027"),
        ("2028", "year must be between 1990 and 2027"),
        ("2020.0", "not a whole number: '2020.0'"),
        ("二〇二〇", "not a whole number"),
        ("２０２０", "not a whole number"),
        ("-2020", "not a whole number"),
    ],
)
def test_year_is_an_integer_from_1990_to_next_year(year: str, reason: str) -> None:
    [(column, found)] = problems(year=year)
    assert column == "year"
    assert reason in found
    assert isinstance(check(year="1990"), ValidRow)
    assert isinstance(check(year=str(LATEST)), ValidRow)


def test_source_title_is_1_to_500_characters() -> None:
    assert isinstance(check(source_title="题" * 500), ValidRow)
    assert problems(source_title="题" * 501) == [("source_title", "at most 500 characters, got 501")]


def test_issuing_authority_is_at_most_200_characters() -> None:
    assert problems(issuing_authority="局" * 201) == [("issuing_authority", "at most 200 characters, got 201")]


@pytest.mark.parametrize("text", ["2020-02-20", "2020/2/20", "2020/02/20", "2020年2月20日", " 2020-02-20 "])
def test_issued_on_in_each_accepted_form(text: str) -> None:
    row = check(issued_on=text)
    assert isinstance(row, ValidRow)
    assert row.content.issued_on == date(2020, 2, 20)


@pytest.mark.parametrize("text", ["2020-02-30", "2021/2/29", "2020年13月1日", "20200220", "2020.02.20", "Feb 20 2020"])
def test_issued_on_must_be_a_real_date_in_an_accepted_form(text: str) -> None:
    [(column, found)] = problems(issued_on=text)
    assert column == "issued_on"
    assert found


@pytest.mark.parametrize(
    "url", ["ftp://www.mee.gov.cn/", "www.mee.gov.cn", "javascript:alert(1)", "https://", "https://a b.cn/"]
)
def test_source_url_is_an_http_or_https_url(url: str) -> None:
    [(column, found)] = problems(source_url=url)
    assert column == "source_url"
    assert "http or https" in found


def test_summary_is_at_most_20000_characters_of_plain_text() -> None:
    assert isinstance(check(summary="摘" * 20_000), ValidRow)
    assert problems(summary="摘" * 20_001) == [("summary", "at most 20000 characters, got 20001")]
    row = check(summary="<script>alert(1)</script>\n第二行\t制表")
    assert isinstance(row, ValidRow)
    assert row.content.summary == "<script>alert(1)</script>\n第二行\t制表"


def test_external_id_is_at_most_200_characters() -> None:
    assert problems(external_id="x" * 201) == [("external_id", "at most 200 characters, got 201")]


@pytest.mark.parametrize("column", ["enterprise_name", "source_title", "issuing_authority", "summary", "external_id"])
def test_control_characters_are_refused(column: str) -> None:
    assert problems(**{column: "有\x00控制\x07字符"}) == [(column, "contains control characters")]


def test_every_problem_of_a_row_is_reported_not_only_the_first() -> None:
    found = problems(uscc="x", year="1900", record_type="nope", source_url="ftp://x")
    assert [column for column, _ in found] == ["uscc", "record_type", "year", "source_url"]


def test_a_row_that_could_not_be_read_keeps_its_reading_problem() -> None:
    reading = [RowProblem("", "not valid UTF-8: byte 0xC9")]
    assert validate_row(SourceRow(3, {}, [], reading), latest_year=LATEST) == reading


def test_the_fingerprint_changes_with_the_content_only() -> None:
    base = check()
    assert isinstance(base, ValidRow)
    assert check().sha256 == base.sha256  # type: ignore[union-attr]
    assert check(enterprise_name="另一个名字").sha256 == base.sha256  # type: ignore[union-attr]
    assert check(summary="新的摘要").sha256 != base.sha256  # type: ignore[union-attr]
    empty = RecordContent("accident", 2020, "t", "a", date(2020, 1, 1), None, None, None)
    blank = RecordContent("accident", 2020, "t", "a", date(2020, 1, 1), None, "", None)
    assert empty.sha256() != blank.sha256()
