"""Text encodings of import files: UTF-8 (with or without BOM) or GB18030/GBK, detected or declared (pure).

Decoding is per line, so a line in another encoding, or mojibake, is a rejected row and never data.
Splitting on LF is safe in both encodings: 0x0A is never part of a multi-byte character.
"""

import re
from dataclasses import dataclass

SAMPLE_BYTES = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"

# Names accepted for the explicit parameter, mapped to the codec that decodes them.
ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "gb18030": "gb18030",
    "gbk": "gbk",
    "cp936": "gbk",
    "gb2312": "gbk",  # GBK extends GB2312, and files labelled GB2312 often use GBK characters
}
_CHINESE_CODECS = frozenset({"gb18030", "gbk"})

# In GBK, a character of a Chinese text is overwhelmingly a GB2312 one: lead and trail bytes both
# in 0xA1-0xFE. Bytes of another encoding read as GBK mostly are not.
_GBK_PAIR = re.compile(rb"[\x81-\xfe][\x40-\x7e\x80-\xfe]")
_GB2312_PAIR = re.compile(rb"[\xa1-\xf7][\xa1-\xfe]")
# UTF-8 text that was once decoded as GBK and re-encoded: its GB18030 bytes are UTF-8 again,
# runs of three-byte CJK sequences that real GBK text practically never forms. Bytes are mapped
# to their UTF-8 role (L: lead of a CJK character, C: continuation) and searched for three in a
# row: a translation and a substring search are far cheaper than a regular expression here.
# Line feeds stay, so that a whole block's roles can be searched and its lines counted at once.
_UTF8_ROLE = bytes(
    ord("L") if 0xE3 <= b <= 0xE9 else ord("C") if 0x80 <= b <= 0xBF else b if b == 0x0A else ord(".")
    for b in range(256)
)
_THREE_CJK = b"LCC" * 3
_UTF8_CJK_RUN = re.compile(rb"(?:[\xe3-\xe9][\x80-\xbf]{2}){3,}")
_LATIN1_RUN = re.compile(
    r"[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]{2,}"
)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


class EncodingProblem(ValueError):
    """The file's encoding is not one of the accepted ones, or not the one declared."""


def codec_for(name: str) -> str:
    """The codec of a declared encoding name; raise EncodingProblem for an unsupported one."""
    codec = ENCODINGS.get(name.strip().lower().replace("_", "-"))
    if codec is None:
        raise EncodingProblem(f"Unsupported encoding {name!r}; use utf-8 or gb18030 (gbk).")
    return codec


def _sample_lines(sample: bytes, complete: bool) -> list[bytes]:
    lines = sample.split(b"\n")
    if not complete:
        lines = lines[:-1]  # the sample may end inside a line, even inside a character
    return [line for line in lines if not line.isascii()]


def _plausible_chinese(line: bytes) -> bool:
    pairs = len(_GBK_PAIR.findall(line))
    return pairs > 0 and len(_GB2312_PAIR.findall(line)) >= 0.8 * pairs


def detect_encoding(sample: bytes, declared: str | None = None, *, complete: bool = False) -> str:
    """The codec of a file from its first bytes (complete: the sample is the whole file).

    A declared encoding is checked, not trusted blindly: when most lines of the sample fail it,
    the file is refused rather than imported as mojibake. Raise EncodingProblem.
    """
    if sample.startswith(UTF8_BOM):
        if declared is not None and codec_for(declared) in _CHINESE_CODECS:
            raise EncodingProblem(f"The file starts with a UTF-8 byte order mark, but encoding={declared} was given.")
        return "utf-8-sig"
    lines = _sample_lines(sample, complete)
    if declared is not None:
        codec = codec_for(declared)
        bad = sum(1 for line in lines if decode_line(line, codec)[1] is not None)
        if lines and bad * 2 > len(lines):
            raise EncodingProblem(
                f"The file is not {declared}: {bad} of the first {len(lines)} lines with non-ASCII text do not "
                "decode cleanly. Send the right encoding (utf-8 or gb18030) or none to detect it."
            )
        return codec
    if not lines:
        return "utf-8"
    utf8 = sum(1 for line in lines if _decodes(line, "utf-8"))
    if utf8 * 2 >= len(lines):
        return "utf-8"
    chinese = sum(1 for line in lines if _decodes(line, "gb18030") and _plausible_chinese(line))
    if chinese * 2 >= len(lines):
        return "gb18030"
    raise EncodingProblem(
        "Could not tell the file's encoding: it is neither UTF-8 nor GB18030/GBK Chinese text. "
        "Save it as CSV UTF-8, or send encoding=gb18030 if that is what it is."
    )


def _decodes(line: bytes, codec: str) -> bool:
    try:
        line.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def decode_line(raw: bytes, codec: str) -> tuple[str, str | None]:
    """The line's text and, when it cannot be trusted, the reason (the text is then for display only)."""
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        return raw.decode(codec, errors="replace"), f"not valid {codec.upper()}: byte 0x{raw[exc.start]:02X}"
    if text.isascii():
        return text, None
    if codec in _CHINESE_CODECS:
        if _decodes(raw, "utf-8"):
            return text, "this line is UTF-8 in a GB18030 file: mixed encodings"
        return text, mojibake(text, gb18030=raw if codec == "gb18030" else None)
    return text, mojibake(text, utf8=raw)


def mojibake(text: str, *, utf8: bytes | None = None, gb18030: bytes | None = None) -> str | None:
    """Why text looks like mojibake (text decoded with the wrong encoding before), or None.

    The text's own UTF-8 or GB18030 bytes, when at hand, spare an encoding step.
    """
    if "\ufffd" in text:
        return "contains U+FFFD replacement characters: the text was decoded with the wrong encoding before"
    as_gbk = gb18030 if gb18030 is not None else text.encode("gb18030")
    if _THREE_CJK in as_gbk.translate(_UTF8_ROLE):
        for run in _UTF8_CJK_RUN.findall(as_gbk):
            if len(_CJK.findall(run.decode("utf-8"))) >= 3:
                return "looks like mojibake: UTF-8 text that was decoded as GBK"
    # Latin-1 mojibake of CJK text always holds characters U+00A0-U+00FF (UTF-8 C2 xx or C3 xx).
    if utf8 is not None and b"\xc2" not in utf8 and b"\xc3" not in utf8:
        return None
    for latin in _LATIN1_RUN.findall(text):
        for wrong, right in (("cp1252", "utf-8"), ("latin-1", "utf-8"), ("latin-1", "gb18030")):
            # cp1252 has no character for a few bytes; mojibake made through it lost them.
            repaired = latin.encode(wrong, errors="ignore").decode(right, errors="ignore")
            if len(_CJK.findall(repaired)) >= 2:
                return f"looks like mojibake: {right.upper()} text that was decoded as {wrong.upper()}"
    return None


# What mojibake() looks at, found in a whole block at once: U+FFFD (EF BF BD in UTF-8), characters
# U+0080-U+00FF (C2 xx or C3 xx: only these lead the Latin-1 check), and runs of UTF-8 CJK roles.
_REPLACEMENT_UTF8 = "\ufffd".encode()
_LATIN_UTF8_LEADS = (b"\xc2", b"\xc3")


def suspect_lines(data: bytes, text: str) -> set[int]:
    """Indexes of the lines of UTF-8 data (text, its decoded form) on which mojibake() may find something.

    mojibake() finds nothing on every other line: this is its per-block prefilter, not a second rule.
    Byte searches and one GB18030 encoding of the block cost a microsecond a row; a regular
    expression over the characters cost ten.
    """
    found: set[int] = set()

    def lines_of(haystack: bytes, needle: bytes) -> None:
        at, counted, index = 0, 0, 0
        while (position := haystack.find(needle, at)) >= 0:
            index += haystack.count(b"\n", counted, position)
            counted = position
            found.add(index)
            end = haystack.find(b"\n", position)
            if end < 0:
                return
            at = end + 1

    if not data.isascii():
        lines_of(data, _REPLACEMENT_UTF8)
        for lead in _LATIN_UTF8_LEADS:
            lines_of(data, lead)
        roles = text.encode("gb18030").translate(_UTF8_ROLE)
        if _THREE_CJK in roles:
            lines_of(roles, _THREE_CJK)  # roles keep the line feeds: LF is a byte of its own in GB18030
    return found


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes of a file say about it."""

    kind: str | None  # a binary format's name, or None for text
    first_char: str  # first non-blank character, "" when there is none


_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive or an Excel workbook (.xlsx); save the sheet as CSV UTF-8"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls); save the sheet as CSV UTF-8"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)


def sniff(sample: bytes) -> Sniffed:
    """Tell text from binary files; UTF-16 counts as binary here (it is not an accepted encoding)."""
    for signature, kind in _BINARY_SIGNATURES:
        if sample.startswith(signature):
            return Sniffed(kind, "")
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Sniffed("UTF-16 text, which is not accepted; save it as CSV UTF-8", "")
    if b"\x00" in sample:
        return Sniffed("a binary file", "")
    stripped = sample.removeprefix(UTF8_BOM).lstrip()
    return Sniffed(None, chr(stripped[0]) if stripped else "")
