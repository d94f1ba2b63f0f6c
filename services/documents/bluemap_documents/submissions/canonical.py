"""What a public explanation states, as canonical JSON; its SHA-256 is the verification code."""

import hashlib
import json
import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from bluemap_shared.events.catalog import ExplanationSubmitted

CONTENT_FORMAT = "bluemap-public-explanation/1"
# Crockford's base32: no I, L, O or U, so a number read aloud or retyped stays unambiguous.
_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_NUMBER_SUFFIX_LENGTH = 6
_TENANT_IN_NUMBER = re.compile(r"[^A-Z0-9]+")
VERIFICATION_CODE = re.compile(r"^[0-9a-f]{64}$")


def document_number(tenant_id: str, submission_id: UUID, submitted_on: date) -> str:
    """`BM-<TENANT>-<yyyymmdd>-<6 chars>`, derived from the submission so a re-render keeps its number."""
    tenant = _TENANT_IN_NUMBER.sub("", tenant_id.upper())[:32] or "X"
    value = int.from_bytes(hashlib.sha256(submission_id.bytes).digest()[:8], "big")
    suffix = ""
    for _ in range(_NUMBER_SUFFIX_LENGTH):
        value, index = divmod(value, len(_NUMBER_ALPHABET))
        suffix += _NUMBER_ALPHABET[index]
    return f"BM-{tenant}-{submitted_on:%Y%m%d}-{suffix}"


def _text(value: str) -> str:
    # NFC, so the same words typed on different systems hash alike.
    return unicodedata.normalize("NFC", value)


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def canonical_content(event: ExplanationSubmitted, number: str) -> dict[str, Any]:
    """Everything the document states, and nothing it does not (no ids of people, no storage details)."""
    enterprise = event.enterprise
    return {
        "format": CONTENT_FORMAT,
        "document_number": number,
        "language": event.language,
        "submitted_at": _instant(event.submitted_at),
        "enterprise": {
            "name": _text(enterprise.name),
            "name_en": _text(enterprise.name_en) if enterprise.name_en else None,
            "uscc": enterprise.uscc,
        },
        "records": [
            {
                "record_type": item.record_type,
                "year": item.year,
                "source_title": _text(item.source_title),
                "issuing_authority": _text(item.issuing_authority),
                "issued_on": item.issued_on.isoformat(),
                "violation": _text(item.violation),
                "reasons": _text(item.reasons),
                "corrective_actions": _text(item.corrective_actions),
                "monitoring": None
                if item.monitoring is None
                else {
                    "pollutant": _text(item.monitoring.pollutant),
                    "measured_value": _text(item.monitoring.measured_value),
                    "limit_value": _text(item.monitoring.limit_value),
                    "unit": _text(item.monitoring.unit) if item.monitoring.unit else None,
                    "period_start": _instant(item.monitoring.period_start),
                    "period_end": _instant(item.monitoring.period_end),
                },
            }
            for item in event.explanations
        ],
        "commitments": [
            {
                "kind": commitment.kind,
                "version": commitment.version,
                "language": commitment.language,
                "text": _text(commitment.text),
                "accepted_at": _instant(commitment.accepted_at),
            }
            for commitment in sorted(event.commitments, key=lambda c: (c.kind, c.accepted_at))
        ],
    }


def canonical_json(content: dict[str, Any]) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8 (RFC 8785 in spirit; the content has no floats)."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def verification_code(content: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical content: the PDF cannot contain its own hash, but it can contain this."""
    return hashlib.sha256(canonical_json(content)).hexdigest()
