"""Issue dates as Chinese agencies write them."""

import re
from datetime import date

_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def parse_issue_date(raw: str) -> date:
    """Accept YYYY-MM-DD, YYYY/M/D or YYYY年M月D日; raise ValueError unless it is a real date."""
    text = raw.strip()
    for pattern in _PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
    raise ValueError(f"not a date in YYYY-MM-DD, YYYY/M/D or YYYY年M月D日 form: {raw!r}")
