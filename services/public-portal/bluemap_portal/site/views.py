"""Rows shaped for a page in one language: texts formatted and links built once, so templates only print.

A template's function call (a date, a label, a link) costs a Jinja context call each time it runs; a page of
50 records made about 1,300 of them. Here each value is formatted once (by the cached formatters of i18n)
and the templates read attributes.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from markupsafe import Markup

from bluemap_portal.documents.service import download_url, preview_url
from bluemap_portal.enterprises.repository import PageRows
from bluemap_portal.record_types import record_type, sort_key
from bluemap_portal.site.i18n import document_label, file_size, format_date, format_datetime, status_label
from bluemap_portal.site.rendering import is_web_url, template


@dataclass(slots=True, frozen=True)
class When:
    """A date or instant as the page shows it: machine-readable and in the page's language."""

    iso: str
    text: str


@dataclass(slots=True, frozen=True)
class MonitoringView:
    pollutant: str
    measured_value: str
    limit_value: str
    unit: str | None
    start: When
    end: When


@dataclass(slots=True)
class ExplanationView:
    id: UUID
    record_id: UUID
    published: When
    published_at: datetime
    violation: str
    reasons: str
    corrective_actions: str
    monitoring: MonitoringView | None
    html: Markup = field(
        default_factory=Markup
    )  # rendered once (templates/views.html), shown under its record and in the feedback


@dataclass(slots=True)
class DocumentView:
    id: UUID
    filename: str
    download_href: str | None
    preview_href: str | None
    label: str
    size: str
    published: When
    published_at: datetime
    document_number: str | None
    verification_code: str | None
    verify_href: str | None
    html: Markup = field(
        default_factory=Markup
    )  # rendered once (templates/views.html), shown under each record and in the feedback


@dataclass(slots=True)
class RecordView:
    id: UUID
    record_type: str
    type_label: str
    year: int
    source_title: str
    source_href: str | None
    summary: str | None
    issuing_authority: str
    issued: When
    display_status: str
    status_text: str
    due: When | None
    # Why and when an operator last moved it (resolved, restored after an audit); None for other moves.
    status_reason: str | None = None
    status_changed: When | None = None
    explanations: list[ExplanationView] = field(default_factory=list)
    documents: list[DocumentView] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class GroupView:
    record_type: str
    label: str
    records: list[RecordView]


@dataclass(slots=True, frozen=True)
class FeedbackView:
    """An explanation (with the record it explains) or a document an enterprise published."""

    kind: str
    published: When
    published_at: datetime
    id: UUID
    explanation: ExplanationView | None = None
    record: RecordView | None = None
    document: DocumentView | None = None


@dataclass(slots=True, frozen=True)
class ListedRecordView:
    """A record in a listing across enterprises, with its enterprise's name and page."""

    record: RecordView
    enterprise_label: str
    enterprise_href: str


@dataclass(slots=True, frozen=True)
class EnterpriseView:
    id: UUID
    uscc: str
    name: str
    name_en: str | None
    region_code: str | None
    groups: list[GroupView]
    record_total: int
    feedback: list[FeedbackView]


def day(value: date, lang: str) -> When:
    return When(value.isoformat(), format_date(value, lang))


@lru_cache(maxsize=8192)
def instant(value: datetime, lang: str) -> When:
    """An instant shown as its date in China; Babel is asked once per value and language."""
    return When(value.isoformat(), format_date(value, lang))


@lru_cache(maxsize=4096)
def instant_with_time(value: datetime, lang: str) -> When:
    return When(value.isoformat(), format_datetime(value, lang))


def explanation_view(row: Mapping[str, Any], lang: str) -> ExplanationView:
    monitoring: Mapping[str, Any] | None = row["monitoring"]
    shown = None
    if monitoring:
        shown = MonitoringView(
            pollutant=monitoring["pollutant"],
            measured_value=monitoring["measured_value"],
            limit_value=monitoring["limit_value"],
            unit=monitoring.get("unit"),
            start=instant_with_time(datetime.fromisoformat(monitoring["period_start"]), lang),
            end=instant_with_time(datetime.fromisoformat(monitoring["period_end"]), lang),
        )
    return ExplanationView(
        id=row["id"],
        record_id=row["record_id"],
        published=instant(row["published_at"], lang),
        published_at=row["published_at"],
        violation=row["violation"],
        reasons=row["reasons"],
        corrective_actions=row["corrective_actions"],
        monitoring=shown,
    )


def document_view(
    row: Mapping[str, Any], lang: str, *, documents_public_base_url: str, href: Callable[..., str]
) -> DocumentView:
    download = download_url(documents_public_base_url, row["id"])
    preview = preview_url(documents_public_base_url, row["id"], row["content_type"])
    code = row["verification_code"]
    return DocumentView(
        id=row["id"],
        filename=row["filename"],
        download_href=download if is_web_url(download) else None,
        preview_href=preview if preview and is_web_url(preview) else None,
        label=document_label(row["kind"], row["category"], lang),
        size=file_size(row["size"], lang),
        published=instant(row["published_at"], lang),
        published_at=row["published_at"],
        document_number=row["document_number"],
        verification_code=code,
        verify_href=href(f"/verify/{code}") if code else None,
    )


def record_view(row: Mapping[str, Any], lang: str) -> RecordView:
    due: date | None = row["explanation_due_on"]
    return RecordView(
        id=row["id"],
        record_type=row["record_type"],
        type_label=record_type(row["record_type"]).label(lang),
        year=row["year"],
        source_title=row["source_title"],
        source_href=row["source_url"] if is_web_url(row["source_url"]) else None,
        summary=row["summary"],
        issuing_authority=row["issuing_authority"],
        issued=day(row["issued_on"], lang),
        display_status=row["display_status"],
        status_text=status_label(row["display_status"], lang),
        due=day(due, lang) if due is not None else None,
        status_reason=row.get("status_reason"),
        status_changed=instant(row["status_changed_at"], lang) if row.get("status_reason") else None,
    )


def grouped(records: Iterable[RecordView]) -> list[GroupView]:
    """Records by type, types in the catalogue's order; each group keeps the given order."""
    groups: dict[str, list[RecordView]] = {}
    for record in records:
        groups.setdefault(record.record_type, []).append(record)
    return [
        GroupView(code, rows[0].type_label, rows) for code, rows in sorted(groups.items(), key=lambda g: sort_key(g[0]))
    ]


def enterprise_view(
    rows: PageRows, lang: str, *, documents_public_base_url: str, href: Callable[..., str]
) -> EnterpriseView:
    """The enterprise page: records by type with their explanations and documents, and its feedback."""
    records = [record_view(row, lang) for row in rows.records]
    by_id = {r.id: r for r in records}
    feedback: list[FeedbackView] = []
    fragments = template(lang, "views.html").module
    for row in rows.explanations:
        explanation = explanation_view(row, lang)
        explanation.html = fragments.explanation(explanation)  # type: ignore[attr-defined]
        record = by_id.get(explanation.record_id)
        if record is None:
            continue  # its record was retracted, or is not public yet
        record.explanations.append(explanation)
        feedback.append(
            FeedbackView("explanation", explanation.published, row["published_at"], row["id"], explanation, record)
        )
    for row in rows.documents:
        document = document_view(row, lang, documents_public_base_url=documents_public_base_url, href=href)
        document.html = fragments.document(document)  # type: ignore[attr-defined]
        for record_id in row["record_ids"]:
            linked = by_id.get(UUID(record_id))
            if linked is not None:
                linked.documents.append(document)
        feedback.append(FeedbackView("document", document.published, row["published_at"], row["id"], document=document))
    feedback.sort(key=lambda item: (item.published_at, item.id), reverse=True)
    enterprise = rows.enterprise
    return EnterpriseView(
        id=enterprise["id"],
        uscc=enterprise["uscc"],
        name=enterprise["name"],
        name_en=enterprise["name_en"],
        region_code=enterprise["region_code"],
        groups=grouped(records),
        record_total=len(records),
        feedback=feedback,
    )


def listed_record_view(row: Any, lang: str, *, href: Callable[..., str]) -> ListedRecordView:
    """A category listing's row: a record (attributes) with its display status, enterprise_id and names."""
    english = row.enterprise_name_en if lang == "en" else None
    return ListedRecordView(
        record=record_view(row.model_dump(), lang),
        enterprise_label=english or row.enterprise_name or "—",
        enterprise_href=href(f"/enterprises/{row.enterprise_id}"),
    )
