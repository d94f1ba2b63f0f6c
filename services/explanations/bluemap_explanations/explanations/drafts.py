"""A draft must say something: Save with every field empty is refused, field by field."""

from bluemap_explanations.explanations.models import Explanation
from bluemap_explanations.explanations.rules import MONITORING_TEXT_FIELDS, TEXT_FIELDS, ExplanationStatus
from bluemap_explanations.explanations.schemas import ExplanationDraft
from bluemap_shared.problems import InvalidInput

EMPTY_DRAFT = "empty-draft"


class EmptyDraft(InvalidInput):
    """422 naming each field of the form: nothing was written, so nothing is saved (or marked saved)."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        super().__init__(
            "Nothing to save: every field is empty. Write at least one of them before saving.",
            reason=EMPTY_DRAFT,
            errors=[
                {"location": ["body", field], "message": "write something before saving", "type": EMPTY_DRAFT}
                for field in fields
            ],
        )


def nothing_written(draft: ExplanationDraft) -> bool:
    """True when the draft holds no text, no monitoring detail and no document (texts are trimmed already)."""
    if any(getattr(draft, field) for field in TEXT_FIELDS) or draft.document_id is not None:
        return False
    monitoring = draft.monitoring
    if monitoring is None:
        return True
    details = [getattr(monitoring, field) for field in MONITORING_TEXT_FIELDS]
    details += [monitoring.unit, monitoring.period_start, monitoring.period_end]
    return not any(details)


def refuse_empty(draft: ExplanationDraft) -> None:
    """EmptyDraft unless the draft holds something worth saving."""
    if nothing_written(draft):
        raise EmptyDraft(TEXT_FIELDS)


def not_started(explanation: Explanation | None) -> bool:
    """No explanation, or a draft stored with nothing written (saved before empty saves were refused)."""
    if explanation is None:
        return True
    if explanation.status != ExplanationStatus.DRAFT or explanation.document_id is not None:
        return False
    monitoring = explanation.monitoring or {}
    return not any((getattr(explanation, f) or "").strip() for f in TEXT_FIELDS) and not any(
        value for value in monitoring.values()
    )
