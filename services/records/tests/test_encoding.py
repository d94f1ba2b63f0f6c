"""Encodings of import files: detection, per-line decoding, mojibake and binary files."""

import pytest
from records_testing import SAMPLE_CSV

from bluemap_records.imports.encoding import (
    UTF8_BOM,
    EncodingProblem,
    codec_for,
    decode_line,
    detect_encoding,
    mojibake,
    sniff,
)

SAMPLE = SAMPLE_CSV.read_bytes()
GENUINE = [
    "陕西永安兴庆门业有限公司",
    "关于对强化监督定点帮扶发现问题进行督办的函(西安)",
    "中华人民共和国生态环境部",
    "强化监督定点帮扶发现：喷漆房废气收集处理设施未正常运行。",
    "信用中国(陕西)",
    "西安市企业环境信用评价结果公告(2019年度)",
    "Shaanxi Yong'an Xingqing Door Industry Co., Ltd.",
    "Café São Paulo façade — “quoted” €5, Ærøskøbing Müller",
    "株式会社テスト 東京",
]


def test_utf8_with_and_without_bom_and_gb18030_are_detected() -> None:
    assert detect_encoding(SAMPLE, complete=True) == "utf-8"
    assert detect_encoding(UTF8_BOM + SAMPLE, complete=True) == "utf-8-sig"
    assert detect_encoding(SAMPLE.decode().encode("gb18030"), complete=True) == "gb18030"
    assert detect_encoding(SAMPLE.decode().encode("gbk"), complete=True) == "gb18030"
    assert detect_encoding(b"uscc,year\n91,2020\n", complete=True) == "utf-8"  # ASCII is UTF-8


def test_a_declared_encoding_is_checked_not_trusted() -> None:
    gbk = SAMPLE.decode().encode("gbk")
    assert detect_encoding(gbk, "GBK", complete=True) == "gbk"
    assert detect_encoding(gbk, "gb18030", complete=True) == "gb18030"
    with pytest.raises(EncodingProblem, match="not utf-8"):
        detect_encoding(gbk, "utf-8", complete=True)
    with pytest.raises(EncodingProblem, match="not gb18030"):
        detect_encoding(SAMPLE, "gb18030", complete=True)  # UTF-8 read as GB18030 is mojibake
    with pytest.raises(EncodingProblem, match="byte order mark"):
        detect_encoding(UTF8_BOM + SAMPLE, "gbk", complete=True)
    with pytest.raises(EncodingProblem, match="Unsupported encoding"):
        codec_for("latin-1")


def test_what_is_neither_utf8_nor_chinese_is_refused_not_guessed() -> None:
    latin1 = "uscc,enterprise_name\n91,Société Générale Müller Ærø Café\n".encode("latin-1") * 20
    with pytest.raises(EncodingProblem, match="Could not tell"):
        detect_encoding(latin1, complete=True)
    big5 = SAMPLE.decode().encode("big5", errors="replace")
    with pytest.raises(EncodingProblem):
        detect_encoding(big5, complete=True)


def test_a_sample_cut_inside_a_character_is_not_held_against_the_file() -> None:
    cut = SAMPLE[: SAMPLE.index("陕".encode()) + 1]  # ends in the middle of a character
    assert detect_encoding(cut + b"more", complete=False) == "utf-8"


def test_a_line_in_another_encoding_is_a_problem_of_that_line() -> None:
    line = "91610100992777567D,陕西永安兴庆门业有限公司\n"
    assert decode_line(line.encode(), "utf-8") == (line, None)
    text, problem = decode_line(line.encode("gbk"), "utf-8")
    assert problem is not None
    assert "not valid UTF-8" in problem
    assert "\ufffd" in text
    _, problem = decode_line(line.encode(), "gb18030")
    assert problem == "this line is UTF-8 in a GB18030 file: mixed encodings"
    assert decode_line(line.encode("gb18030"), "gb18030") == (line, None)


@pytest.mark.parametrize("text", GENUINE)
def test_genuine_text_is_not_mojibake(text: str) -> None:
    assert mojibake(text) is None
    assert mojibake(text, utf8=text.encode()) is None


@pytest.mark.parametrize("text", GENUINE[:4])
@pytest.mark.parametrize(
    ("wrong", "ways"),
    [
        (lambda t: t.encode("utf-8").decode("gbk", errors="ignore"), "UTF-8 text that was decoded as GBK"),
        (lambda t: t.encode("utf-8").decode("cp1252", errors="ignore"), "UTF-8 text that was decoded as CP1252"),
        (lambda t: t.encode("gbk").decode("latin-1"), "GB18030 text that was decoded as LATIN-1"),
    ],
)
def test_mojibake_is_recognised(text: str, wrong, ways: str) -> None:  # type: ignore[no-untyped-def]
    garbled = wrong(text)
    assert mojibake(garbled) == f"looks like mojibake: {ways}"
    _, problem = decode_line(garbled.encode(), "utf-8")
    assert problem == f"looks like mojibake: {ways}"


def test_replacement_characters_mean_an_earlier_wrong_decoding() -> None:
    assert "replacement" in (mojibake("陕西\ufffd\ufffd门业") or "")


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"PK\x03\x04rest", "Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0rest", "old Excel workbook"),
        (b"%PDF-1.7", "PDF"),
        (b"\x89PNG\r\n", "PNG"),
        (b"\xff\xfeu\x00s\x00", "UTF-16"),
        (b"uscc\x00year", "binary"),
    ],
)
def test_binary_files_are_told_from_text(head: bytes, kind: str) -> None:
    assert kind in (sniff(head).kind or "")


def test_text_files_report_their_first_character() -> None:
    assert sniff(UTF8_BOM + b'  \n{"uscc": 1}').first_char == "{"
    assert sniff(b"uscc,year").first_char == "u"
    assert sniff(b" \n\t\n").first_char == ""


def test_short_mojibake_decoded_with_replacement_is_caught_too() -> None:
    garbled = "信用中国(陕西)".encode().decode("gbk", errors="replace")
    assert mojibake(garbled) is not None
