"""Capability URLs: an HMAC over document, expiry and disposition lets the holder download without a token."""

import hashlib
import hmac
import re
from datetime import datetime
from typing import Literal
from urllib.parse import urlencode
from uuid import UUID

Disposition = Literal["attachment", "inline"]
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
# Clocks of the replicas that sign and check a link may differ this much.
CLOCK_SKEW_SECONDS = 60


def _message(document_id: UUID, expires: int, disposition: Disposition) -> bytes:
    # Versioned, so a change of what is signed can never make an old signature mean something new.
    return f"bluemap-content-v1|{document_id}|{expires}|{disposition}".encode()


def sign(key: bytes, document_id: UUID, expires: int, disposition: Disposition = "attachment") -> str:
    """Hex HMAC-SHA256 of what the URL grants."""
    return hmac.new(key, _message(document_id, expires, disposition), hashlib.sha256).hexdigest()


def refusal(
    key: bytes,
    document_id: UUID,
    expires: int,
    signature: str,
    disposition: Disposition,
    *,
    now: datetime,
    longest_seconds: int,
) -> str | None:
    """Why the URL grants nothing now ("invalid-signature", "expired", "too-long"), or None when it grants the download.

    longest_seconds caps the lifetime: a link valid further ahead than any the service issues was not
    issued by it (a leaked or guessed key), whatever its signature.
    """
    if not _SIGNATURE.match(signature) or not hmac.compare_digest(
        sign(key, document_id, expires, disposition), signature
    ):
        return "invalid-signature"
    if now.timestamp() >= expires:
        return "expired"
    if expires - now.timestamp() > longest_seconds + CLOCK_SKEW_SECONDS:
        return "too-long"
    return None


def content_url(
    base_url: str, key: bytes, document_id: UUID, expires_at: datetime, disposition: Disposition = "attachment"
) -> str:
    """`<base>/v1/documents/<id>/content?expires=..&signature=..` (and disposition=inline for previews)."""
    expires = int(expires_at.timestamp())
    query: dict[str, str | int] = {"expires": expires, "signature": sign(key, document_id, expires, disposition)}
    if disposition != "attachment":
        query["disposition"] = disposition
    return f"{base_url.rstrip('/')}/v1/documents/{document_id}/content?{urlencode(query)}"
