"""Pure rules about stored files: safe names, sniffed types, content-addressed keys."""

import re
import unicodedata
from urllib.parse import quote

MAX_FILENAME_LENGTH = 200
FALLBACK_FILENAME = "document"
OCTET_STREAM = "application/octet-stream"
SNIFF_BYTES = 16

# Magic numbers of the formats the workspace asks for (signed explanations are scanned PDFs).
_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
# Declared types trusted without a magic number; none renders as active content in a browser
# (no HTML, SVG or XML), and the sniffed types are absent so a mislabelled blob cannot claim them.
DECLARED_TYPES = frozenset(
    {
        "text/plain",
        "text/csv",
        "application/zip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
)
# Cc: control characters; Cf: format characters such as bidi overrides that make
# "evil\u202efdp.exe" display as "evilexe.pdf"; Zl, Zp: line and paragraph separators.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_SEPARATORS = re.compile(r"[/\\]")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
# A tenant id is one path segment of a key: no slash, no dot-dot, nothing a shell or URL must escape.
_TENANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_MAX_EXTENSION = 16


def sanitise_filename(raw: str) -> str:
    """The client's name reduced to a safe basename of at most 200 characters; Chinese is kept."""
    name = unicodedata.normalize("NFC", raw)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _UNSAFE_CATEGORIES)
    name = _SEPARATORS.split(name)[-1]
    # Leading dots hide files and ".." walks up; trailing dots and spaces are dropped by Windows.
    name = name.strip().strip(".").strip()
    if not name:
        return FALLBACK_FILENAME
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and 0 < len(extension) <= _MAX_EXTENSION:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH].rstrip()
    return name


def sniff_content_type(head: bytes, declared: str | None) -> str:
    """The type the first bytes prove, else the declared one if allow-listed, else octet-stream."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    normalised = (declared or "").split(";", 1)[0].strip().lower()
    return normalised if normalised in DECLARED_TYPES else OCTET_STREAM


def tenant_prefix(tenant_id: str) -> str:
    """Where a tenant's objects live: offboarding deletes the prefix, a bucket policy may scope it."""
    if not _TENANT_ID.match(tenant_id):
        raise ValueError(f"not a tenant id usable in an object key: {tenant_id!r}")
    return f"tenants/{tenant_id}/"


def storage_key(tenant_id: str, sha256_hex: str) -> str:
    """Content-addressed within the tenant, `tenants/<tenant>/sha256/<first2>/<next2>/<hex>`.

    Equal bytes of one tenant share one object; tenants never share one, so deleting a tenant's
    objects cannot take another tenant's. (Rows from before 2026-12 keep their unprefixed keys.)
    """
    if not _SHA256_HEX.match(sha256_hex):
        raise ValueError(f"not a lower-case SHA-256 hex digest: {sha256_hex!r}")
    return f"{tenant_prefix(tenant_id)}sha256/{sha256_hex[:2]}/{sha256_hex[2:4]}/{sha256_hex}"


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """An attachment (or inline) header: RFC 8187 UTF-8 name, with an ASCII stand-in for old clients (RFC 6266)."""
    fallback = "".join(ch if " " <= ch <= "~" and ch not in '"\\%' else "_" for ch in filename)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
