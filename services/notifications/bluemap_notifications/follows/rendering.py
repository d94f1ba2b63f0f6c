"""The email a follower gets when an enterprise they follow has something new in public."""

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from bluemap_notifications.emails.rendering import (
    CLOSING_EN,
    CLOSING_ZH,
    NewRecord,
    RenderedEmail,
    Section,
    compose,
    enterprise_page_url,
)
from bluemap_notifications.record_types import record_type_label
from bluemap_shared.events.catalog import DocumentPublished, ExplanationPublished

MAX_SUBJECT = 500


@dataclass(frozen=True)
class FollowedUpdate:
    """What happened at a followed enterprise, in both languages."""

    enterprise_id: UUID
    news_zh: str
    news_en: str
    fields_zh: list[tuple[str, str]]
    fields_en: list[tuple[str, str]]


def new_record_update(enterprise_id: UUID, record: NewRecord) -> FollowedUpdate:
    return FollowedUpdate(
        enterprise_id,
        "有一条新的环境监管记录",
        "has a new environmental supervision record",
        _record_fields_zh(record),
        _record_fields_en(record),
    )


def _record_fields_zh(record: NewRecord) -> list[tuple[str, str]]:
    label = record_type_label(record.record_type)
    return [("记录类型", f"{label.label_zh}（{record.year}）"), ("来源", record.source_title)]


def _record_fields_en(record: NewRecord) -> list[tuple[str, str]]:
    label = record_type_label(record.record_type)
    return [("Record type", f"{label.label_en} ({record.year})"), ("Source", record.source_title)]


def explanation_update(event: ExplanationPublished) -> FollowedUpdate:
    return FollowedUpdate(
        event.enterprise_id,
        "公开了一份说明",
        "published an explanation",
        [("违规情况", event.violation)],
        [("Violation", event.violation)],
    )


def document_update(event: DocumentPublished) -> FollowedUpdate:
    return FollowedUpdate(
        event.enterprise_id,
        "公开了一份文件",
        "published a document",
        [("文件", event.filename)],
        [("File", event.filename)],
    )


def render_followed_update(
    update: FollowedUpdate, *, name: str | None, name_en: str | None, portal_base_url: str
) -> RenderedEmail:
    """Tell a follower what is new at the enterprise, with a link to its public page."""
    zh_name = name or "您关注的企业"
    en_name = name_en or name or "An enterprise you follow"
    subject = " ".join(f"【蔚蓝地图】{zh_name}{update.news_zh} / Blue Map: {en_name} {update.news_en}".split())
    return compose(
        subject[:MAX_SUBJECT],
        Section(
            "zh",
            "您好：",
            intro=[f"您在蔚蓝地图上关注的{zh_name}{update.news_zh}。"],
            fields=update.fields_zh,
            links=[("企业的公开页面", enterprise_page_url(portal_base_url, update.enterprise_id))],
            closing=f"您可在“我的绿色选择 › 关注”中取消关注。{CLOSING_ZH}",
        ),
        Section(
            "en",
            "Hello,",
            intro=[f"{en_name}, which you follow on the Blue Map, {update.news_en}."],
            fields=update.fields_en,
            links=[
                ("The enterprise's public page", enterprise_page_url(portal_base_url, update.enterprise_id, lang="en"))
            ],
            closing=f"You can unfollow it in My Green Choice › Following. {CLOSING_EN}",
        ),
    )


def render_followed_records(
    enterprise_id: UUID,
    records: Sequence[NewRecord],
    *,
    name: str | None,
    name_en: str | None,
    portal_base_url: str,
    max_listed: int = 100,
) -> RenderedEmail:
    """Tell a follower which records of the enterprise are new; one record reads as the single update it was."""
    if len(records) == 1:
        update = new_record_update(enterprise_id, records[0])
        return render_followed_update(update, name=name, name_en=name_en, portal_base_url=portal_base_url)
    zh_name = name or "您关注的企业"
    en_name = name_en or name or "An enterprise you follow"
    count = len(records)
    listed = sorted(records, key=lambda r: (r.issued_on, r.source_title))[:max_listed]
    more = count - len(listed)
    subject = " ".join(
        f"【蔚蓝地图】{zh_name}有{count}条新的环境监管记录 / Blue Map: {en_name} has {count} new "
        "environmental supervision records".split()
    )
    return compose(
        subject[:MAX_SUBJECT],
        Section(
            "zh",
            "您好：",
            intro=[f"您在蔚蓝地图上关注的{zh_name}有{count}条新的环境监管记录。"],
            entries=[_record_fields_zh(r) for r in listed],
            asks=[f"另有{more}条记录未在此列出，请在企业的公开页面查看。"] if more else [],
            links=[("企业的公开页面", enterprise_page_url(portal_base_url, enterprise_id))],
            closing=f"您可在“我的绿色选择 › 关注”中取消关注。{CLOSING_ZH}",
        ),
        Section(
            "en",
            "Hello,",
            intro=[f"{en_name}, which you follow on the Blue Map, has {count} new environmental supervision records."],
            entries=[_record_fields_en(r) for r in listed],
            asks=[f"{more} more records are not listed here; see them on its public page."] if more else [],
            links=[("The enterprise's public page", enterprise_page_url(portal_base_url, enterprise_id, lang="en"))],
            closing=f"You can unfollow it in My Green Choice › Following. {CLOSING_EN}",
        ),
    )
