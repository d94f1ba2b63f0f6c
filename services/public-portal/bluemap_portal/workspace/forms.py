"""The explanation form: its fields, the values shown in it, and what the explanations API receives."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from bluemap_portal.clock import CHINA
from bluemap_portal.site.i18n import N_
from bluemap_portal.workspace.messages import Message

TEXT_FIELDS = ("violation", "reasons", "corrective_actions")
MONITORING_TEXT_FIELDS = ("pollutant", "measured_value", "limit_value", "unit")
MONITORING_PERIOD_FIELDS = ("period_start", "period_end")
MONITORING_FIELDS = MONITORING_TEXT_FIELDS + MONITORING_PERIOD_FIELDS
# <input type="datetime-local"> sends minutes (or seconds); the period is read as China time, as records are.
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")
MAX_FIELD = 6_000  # a little over the API's 5,000 so it, not the form parser, says what is too long


def values_of(explanation: Mapping[str, Any] | None) -> dict[str, str]:
    """The form's values from a saved explanation."""
    values = {field: "" for field in TEXT_FIELDS}
    values.update({f"monitoring.{field}": "" for field in MONITORING_FIELDS})
    values["document_id"] = ""
    if explanation is None:
        return values
    for field in TEXT_FIELDS:
        values[field] = str(explanation.get(field) or "")
    monitoring = explanation.get("monitoring") or {}
    for field in MONITORING_TEXT_FIELDS:
        values[f"monitoring.{field}"] = str(monitoring.get(field) or "")
    for field in MONITORING_PERIOD_FIELDS:
        values[f"monitoring.{field}"] = local_input(monitoring.get(field))
    values["document_id"] = str(explanation.get("document_id") or "")
    return values


def local_input(value: Any) -> str:
    """An instant as the value of a datetime-local input, in China time."""
    if not value:
        return ""
    try:
        instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    return instant.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M")


def parse_local(value: str) -> datetime | None:
    """A datetime-local value read as China time; None when it is not one."""
    for pattern in LOCAL_FORMATS:
        try:
            return datetime.strptime(value.strip(), pattern).replace(tzinfo=CHINA)
        except ValueError:
            continue
    return None


def draft_of(values: Mapping[str, str], *, monitoring: bool) -> tuple[dict[str, Any], dict[str, Message]]:
    """The ExplanationDraft the API expects, and the errors the form itself can tell (dates, ids)."""
    errors: dict[str, Message] = {}
    draft: dict[str, Any] = {field: values.get(field, "") for field in TEXT_FIELDS}
    if monitoring:
        details: dict[str, Any] = {
            field: values.get(f"monitoring.{field}", "").strip() for field in MONITORING_TEXT_FIELDS
        }
        details["unit"] = details["unit"] or None
        for field in MONITORING_PERIOD_FIELDS:
            raw = values.get(f"monitoring.{field}", "").strip()
            parsed = parse_local(raw) if raw else None
            if raw and parsed is None:
                errors[f"monitoring.{field}"] = Message(N_("Please enter a valid date and time."))
            details[field] = parsed.isoformat() if parsed else None
        draft["monitoring"] = details
    document_id = values.get("document_id", "").strip()
    if document_id:
        try:
            draft["document_id"] = str(UUID(document_id))
        except ValueError:
            errors["document"] = Message(N_("This value is not valid."))
    return draft, errors
