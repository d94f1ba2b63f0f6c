"""Atom 1.0 feeds (RFC 4287) of an enterprise and of a category: records, explanations and documents as entries."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID
from xml.etree import ElementTree

from fastapi import APIRouter, Request, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.categories import service as categories
from bluemap_portal.categories.repository import FeedbackFilter
from bluemap_portal.categories.schemas import FeedbackItem, RecordSummary
from bluemap_portal.clock import china_today
from bluemap_portal.documents import service as documents
from bluemap_portal.documents.schemas import DocumentPublic
from bluemap_portal.enterprises import service as enterprises
from bluemap_portal.explanations import service as explanations
from bluemap_portal.explanations.schemas import ExplanationPublic
from bluemap_portal.record_types import record_type
from bluemap_portal.records import service as records
from bluemap_portal.records.models import PortalRecord
from bluemap_portal.settings import PortalSettings, SettingsDep
from bluemap_portal.site.caching import cached_page
from bluemap_portal.site.i18n import HTML_LANG, N_, document_label, format_date, gettext, status_label
from bluemap_portal.site.page_cache import directory_tag, enterprise_tag, records_tag
from bluemap_portal.site.rendering import link_builder, page_language, site_name
from bluemap_portal.tenancy import TenantDep
from bluemap_shared.runtime import SessionDep

router = APIRouter()

ATOM = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
# An empty feed still needs an <updated>; a fixed instant keeps it from changing on every fetch.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# Characters XML 1.0 cannot carry at all, even escaped; government text sometimes has them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

ElementTree.register_namespace("", ATOM)

# Texts of the entries, extracted here rather than from inside f-strings.
LABELS = {
    "enterprise": N_("Enterprise"),
    "issuing_authority": N_("Issuing authority"),
    "issued_on": N_("Issued on"),
    "status": N_("Status"),
    "explanation_due_by": N_("Explanation due by"),
    "public_explanation": N_("Public explanation"),
    "violation": N_("Violation"),
    "reasons": N_("Reasons"),
    "corrective_actions": N_("Corrective actions"),
    "enterprise_feedback": N_("Enterprise Feedback"),
    "document_type": N_("Document type"),
    "document_number": N_("Document number"),
    "verification_code": N_("Verification code"),
}


@dataclass(frozen=True)
class Link:
    href: str
    rel: str = "alternate"
    type: str | None = None
    length: int | None = None


@dataclass(frozen=True)
class Entry:
    """One Atom entry; id is a tag: URI that stays the same whatever changes about the item."""

    id: str
    title: str
    updated: datetime
    published: datetime
    content: str
    links: Sequence[Link]
    category: tuple[str, str] | None = None


def tag_uri(authority: str, tenant_id: str, *path: object) -> str:
    """tag:bluemap.example.org,2025:ipe/records/<id>: stable, and unique per tenant (RFC 4151)."""
    return f"tag:{authority}:{tenant_id}/" + "/".join(str(p) for p in path)


def xml_text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def atom_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def atom_feed(
    *,
    feed_id: str,
    title: str,
    subtitle: str,
    lang: str,
    self_url: str,
    page_url: str,
    site_url: str,
    author: str,
    entries: Iterable[Entry],
    updated: datetime | None = None,
) -> bytes:
    """An Atom document; every text is escaped by the serializer, newest entries first."""
    listed = sorted(entries, key=lambda e: (e.updated, e.id), reverse=True)
    feed = ElementTree.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": HTML_LANG[lang]})

    def add(parent: ElementTree.Element, name: str, text: str | None = None, **attributes: str) -> None:
        child = ElementTree.SubElement(parent, f"{{{ATOM}}}{name}", attributes)
        if text is not None:
            child.text = xml_text(text)

    add(feed, "id", feed_id)
    add(feed, "title", title, type="text")
    add(feed, "subtitle", subtitle, type="text")
    add(feed, "updated", atom_time(max([e.updated for e in listed], default=updated or EPOCH)))
    add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    add(feed, "link", rel="alternate", type="text/html", href=page_url)
    author_element = ElementTree.SubElement(feed, f"{{{ATOM}}}author")
    add(author_element, "name", author)
    add(author_element, "uri", site_url)
    add(feed, "generator", "Blue Map public portal")
    for entry in listed:
        item = ElementTree.SubElement(feed, f"{{{ATOM}}}entry")
        add(item, "id", entry.id)
        add(item, "title", entry.title, type="text")
        add(item, "updated", atom_time(entry.updated))
        add(item, "published", atom_time(entry.published))
        for link in entry.links:
            attributes = {"rel": link.rel, "href": xml_text(link.href)}
            if link.type:
                attributes["type"] = link.type
            if link.length is not None:
                attributes["length"] = str(link.length)
            add(item, "link", **attributes)
        if entry.category:
            add(item, "category", term=entry.category[0], label=xml_text(entry.category[1]))
        add(item, "content", entry.content, type="text")
    body: bytes = ElementTree.tostring(feed, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


class EntryMaker:
    """Entries of one feed: absolute links and texts in the feed's language."""

    def __init__(self, request: Request, settings: PortalSettings, tenant_id: str, lang: str) -> None:
        self.lang = lang
        self.tenant_id = tenant_id
        self.authority = settings.feed_tag_authority
        self.base = str(request.base_url).rstrip("/")
        self.href = link_builder(request, lang)

    def url(self, path: str, **params: object) -> str:
        return self.base + self.href(path, **params)

    def label(self, key: str) -> str:
        return gettext(self.lang, LABELS[key])

    def record(self, record: PortalRecord, enterprise_name: str | None) -> Entry:
        label = record_type(record.record_type).label(self.lang)
        status = records.display_status(record.status, record.explanation_due_on, china_today())
        facts = [
            f"{self.label('enterprise')}: {enterprise_name}" if enterprise_name else None,
            f"{self.label('issuing_authority')}: {record.issuing_authority}",
            f"{self.label('issued_on')}: {format_date(record.issued_on, self.lang)}",
            f"{self.label('status')}: {status_label(status, self.lang)}",
            f"{self.label('explanation_due_by')}: {format_date(record.explanation_due_on, self.lang)}"
            if record.explanation_due_on
            else None,
            record.summary,
        ]
        page = self.url(f"/enterprises/{record.enterprise_id}") + f"#record-{record.id}"
        links = [Link(page)]
        if record.source_url and record.source_url.lower().startswith(("https://", "http://")):
            links.append(Link(record.source_url, rel="related"))
        return Entry(
            id=tag_uri(self.authority, self.tenant_id, "records", record.id),
            title=f"{label} ({record.year}): {record.source_title}",
            updated=max(record.published_at, record.status_changed_at or record.published_at),
            published=record.published_at,
            content="\n".join(f for f in facts if f),
            links=links,
            category=(record.record_type, label),
        )

    def explanation(
        self,
        explanation: ExplanationPublic,
        enterprise_id: UUID,
        record: PortalRecord | RecordSummary,
        enterprise_name: str | None,
    ) -> Entry:
        about = f"{record_type(record.record_type).label(self.lang)}: {record.source_title}"
        prefix = f"{enterprise_name} · " if enterprise_name else ""
        return Entry(
            id=tag_uri(self.authority, self.tenant_id, "explanations", explanation.id),
            title=f"{prefix}{self.label('public_explanation')}: {about}",
            updated=explanation.published_at,
            published=explanation.published_at,
            content="\n".join(
                (
                    f"{self.label('violation')}: {explanation.violation}",
                    f"{self.label('reasons')}: {explanation.reasons}",
                    f"{self.label('corrective_actions')}: {explanation.corrective_actions}",
                )
            ),
            links=[Link(self.url(f"/enterprises/{enterprise_id}") + f"#record-{explanation.record_id}")],
            category=("enterprise_feedback", self.label("enterprise_feedback")),
        )

    def document(self, document: DocumentPublic, enterprise_id: UUID, enterprise_name: str | None) -> Entry:
        label = document_label(document.kind, document.category, self.lang)
        prefix = f"{enterprise_name} · " if enterprise_name else ""
        facts = [
            f"{self.label('document_type')}: {label}",
            f"{self.label('document_number')}: {document.document_number}" if document.document_number else None,
            f"{self.label('verification_code')}: {document.verification_code}" if document.verification_code else None,
        ]
        return Entry(
            id=tag_uri(self.authority, self.tenant_id, "documents", document.id),
            title=f"{prefix}{label}: {document.filename}",
            updated=document.published_at,
            published=document.published_at,
            content="\n".join(f for f in facts if f),
            links=[
                Link(self.url(f"/enterprises/{enterprise_id}")),
                Link(document.download_url, rel="enclosure", type=document.content_type, length=document.size),
            ],
            category=("enterprise_feedback", self.label("enterprise_feedback")),
        )

    def feedback(self, item: FeedbackItem) -> Entry | None:
        name = self.enterprise_name(item.enterprise_name, item.enterprise_name_en)
        if item.document is not None:
            return self.document(item.document, item.enterprise_id, name)
        if item.explanation is not None and item.record is not None:
            return self.explanation(item.explanation, item.enterprise_id, item.record, name)
        return None

    def enterprise_name(self, name: str | None, name_en: str | None) -> str | None:
        return name_en if self.lang == "en" and name_en else name


def atom_response(body: bytes) -> Response:
    return Response(body, media_type=ATOM_TYPE, headers={"Vary": "Accept-Language, Cookie"})


@router.api_route("/enterprises/{enterprise_id}/feed.atom", methods=["GET", "HEAD"], response_class=Response)
async def enterprise_feed(
    request: Request, enterprise_id: UUID, session: SessionDep, tenant_id: TenantDep, settings: SettingsDep
) -> Response:
    """An enterprise's records, published explanations and documents, newest first."""

    async def rendered() -> tuple[bytes, Iterable[str]]:
        feed = await _enterprise_feed(request, enterprise_id, session, tenant_id, settings)
        return bytes(feed.body), [enterprise_tag(tenant_id, enterprise_id)]

    return await cached_page(request, tenant_id, rendered, key="feed", media_type=ATOM_TYPE, personal=False)


async def _enterprise_feed(
    request: Request, enterprise_id: UUID, session: AsyncSession, tenant_id: str, settings: PortalSettings
) -> Response:
    lang = page_language(request)
    enterprise = await enterprises.get_enterprise(session, tenant_id, enterprise_id)
    make = EntryMaker(request, settings, tenant_id, lang)
    name = make.enterprise_name(enterprise.name, enterprise.name_en) or enterprise.name
    latest = await records.latest(session, tenant_id, enterprise_id=enterprise_id, limit=settings.feed_size)
    public = {r.id: r for r in await records.records_of(session, tenant_id, enterprise_id)}
    entries = [make.record(r, None) for r in latest]
    entries += [
        make.explanation(ExplanationPublic.model_validate(e), enterprise_id, public[e.record_id], None)
        for e in await explanations.of_enterprise(session, tenant_id, enterprise_id)
        if e.record_id in public
    ]
    published = await documents.of_enterprise(
        session, tenant_id, enterprise_id, documents_public_base_url=settings.documents_public_base_url
    )
    entries += [make.document(d, enterprise_id, None) for d in published]
    entries = sorted(entries, key=lambda e: e.updated, reverse=True)[: settings.feed_size]
    path = f"/enterprises/{enterprise_id}"
    return atom_response(
        atom_feed(
            feed_id=tag_uri(settings.feed_tag_authority, tenant_id, "feeds", "enterprises", enterprise_id, lang),
            title=f"{name} · {site_name(request, lang)}",
            subtitle=gettext(lang, N_("Government records, public explanations and documents, newest first.")),
            lang=lang,
            self_url=make.url(f"{path}/feed.atom"),
            page_url=make.url(path),
            site_url=make.url("/"),
            author=site_name(request, lang),
            entries=entries,
            updated=enterprise.updated_at,
        )
    )


@router.api_route("/categories/{code}/feed.atom", methods=["GET", "HEAD"], response_class=Response)
async def category_feed(
    request: Request, code: str, session: SessionDep, tenant_id: TenantDep, settings: SettingsDep
) -> Response:
    """A category's latest records (by publication), or the latest Enterprise Feedback."""

    async def rendered() -> tuple[bytes, Iterable[str]]:
        feed = await _category_feed(request, code, session, tenant_id, settings)
        return bytes(feed.body), [records_tag(tenant_id, code), directory_tag(tenant_id)]

    return await cached_page(request, tenant_id, rendered, key="feed", media_type=ATOM_TYPE, personal=False)


async def _category_feed(
    request: Request, code: str, session: AsyncSession, tenant_id: str, settings: PortalSettings
) -> Response:
    lang = page_language(request)
    known = categories.category(code)
    make = EntryMaker(request, settings, tenant_id, lang)
    entries: list[Entry] = []
    if code == categories.ENTERPRISE_FEEDBACK:
        items = await categories.feedback_page(
            session,
            tenant_id,
            where=FeedbackFilter(),
            offset=0,
            limit=settings.feed_size,
            documents_public_base_url=settings.documents_public_base_url,
        )
        entries = [entry for item in items if (entry := make.feedback(item)) is not None]
    else:
        latest = await records.latest(session, tenant_id, record_type=code, limit=settings.feed_size)
        names = {
            e.id: make.enterprise_name(e.name, e.name_en)
            for e in await enterprises.get_many(session, tenant_id, {r.enterprise_id for r in latest})
        }
        entries = [make.record(r, names.get(r.enterprise_id)) for r in latest]
    label = known.label_en if lang == "en" else known.label_zh
    path = f"/categories/{code}"
    return atom_response(
        atom_feed(
            feed_id=tag_uri(settings.feed_tag_authority, tenant_id, "feeds", "categories", code, lang),
            title=f"{label} · {site_name(request, lang)}",
            subtitle=gettext(lang, N_("The latest of this category across every enterprise.")),
            lang=lang,
            self_url=make.url(f"{path}/feed.atom"),
            page_url=make.url(path),
            site_url=make.url("/"),
            author=site_name(request, lang),
            entries=entries,
        )
    )
