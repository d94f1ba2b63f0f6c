"""The email a follower gets when an enterprise they follow has something new in public."""

from dataclasses import dataclass
from uuid import UUID

from bluemap_notifications.emails.rendering import (
    CLOSING_EN,
    CLOSING_ZH,
    RenderedEmail,
    Section,
    compose,
    enterprise_page_url,
)
from bluemap_notifications.record_types import record_type_label
from bluemap_shared.events.catalog import DocumentPublished, ExplanationPublished, RecordPublished

MAX_SUBJECT = 500


@dataclass(frozen=True)
class FollowedUpdate:
    """What happened at a followed enterprise, in both languages."""

    enterprise_id: UUID
    news_zh: str
    news_en: str
    fields_zh: list[tuple[str, str]]
    fields_en: list[tuple[str, str]]


def record_update(event: RecordPublished) -> FollowedUpdate:
    label = record_type_label(event.record_type)
    return FollowedUpdate(
        event.enterprise.enterprise_id,
        "有一条新的环境监管记录",
        "has a new environmental supervision record",
        [("记录类型", f"{label.label_zh}（{event.year}）"), ("来源", event.source_title)],
        [("Record type", f"{label.label_en} ({event.year})"), ("Source", event.source_title)],
    )


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
