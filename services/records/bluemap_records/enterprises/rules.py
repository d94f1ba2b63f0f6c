"""Rules of an enterprise's directory fields, shared by the API and the import (pure)."""

import functools
import re

from pydantic.networks import validate_email

MAX_NAME = 200
MAX_NAME_EN = 300
MAX_INDUSTRY = 200
MAX_EMAILS = 10

# GB/T 2260 provincial-level divisions: the first two digits of every division code.
PROVINCES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
        "65", "71", "81", "82",
    }
)  # fmt: skip
_REGION = re.compile(r"^\d{6}$")


def check_region_code(value: str) -> str:
    """Raise ValueError unless value is a 6-digit GB/T 2260 code of a real province."""
    code = value.strip()
    if not _REGION.match(code):
        raise ValueError("region code must be 6 digits (GB/T 2260), e.g. 610100")
    if code[:2] not in PROVINCES:
        raise ValueError(f"region code {code} names no province (GB/T 2260 starts 11-65, 71, 81 or 82)")
    return code


# The everyday shape of an address: ASCII dot-atom local part, a DNS name with an alphabetic TLD.
_PLAIN_EMAIL = re.compile(
    r"^(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$"
)
_SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")


@functools.lru_cache(maxsize=65536)
def normalise_email(value: str) -> str:
    """The address as the API (pydantic's EmailStr) stores it; raise ValueError when it is not valid."""
    address = value.strip()
    # email-validator costs ~0.1 ms an address; the plain shape gives the same answer for a
    # regular expression's price (the domain lower-cased), everything else takes the full path.
    plain = _PLAIN_EMAIL.match(address)
    if plain and len(plain["local"]) <= 64 and len(address) <= 254:
        domain = plain["domain"].lower()
        # Punycode labels come back from email-validator in Unicode, so they take the full path.
        special = any(domain == s or domain.endswith("." + s) for s in _SPECIAL_USE_DOMAINS)
        if not special and "xn--" not in domain:
            return f"{plain['local']}@{domain}"
    try:
        return validate_email(address)[1]
    except ValueError as exc:
        raise ValueError(f"not a valid email address: {address!r}") from exc
