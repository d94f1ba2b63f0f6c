"""Unified Social Credit Code (统一社会信用代码), GB 32100-2015."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUES = {c: i for i, c in enumerate(ALPHABET)}


def check_digit(first17: str) -> str:
    """The 18th character for the first 17."""
    total = sum(_VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise_uscc(raw: str) -> str:
    """Trim and upper-case; raise ValueError with the reason when the code is not valid."""
    code = raw.strip().upper()
    if len(code) != 18:
        raise ValueError(f"USCC must have 18 characters, got {len(code)}")
    bad = sorted({c for c in code if c not in _VALUES})
    if bad:
        raise ValueError(f"USCC has characters outside 0-9 A-H J-N P-R T U W-Y: {''.join(bad)}")
    expected = check_digit(code[:17])
    if code[17] != expected:
        raise ValueError(f"USCC check digit is {code[17]}, expected {expected}")
    return code
