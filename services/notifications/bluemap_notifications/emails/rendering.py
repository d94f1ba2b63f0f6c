"""Email texts, Chinese first then English; pure functions of the event."""

from dataclasses import dataclass
from datetime import date
from html import escape
from uuid import UUID

from bluemap_notifications.record_types import record_type_label
from bluemap_shared.events.catalog import RecordPublished

SEPARATOR = "-" * 40


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body_text: str
    body_html: str


def enterprise_page_url(portal_base_url: str, enterprise_id: UUID, *, lang: str = "zh") -> str:
    """The enterprise's public page on the portal."""
    url = f"{portal_base_url.rstrip('/')}/enterprises/{enterprise_id}"
    return url if lang == "zh" else f"{url}?lang={lang}"


def _zh_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _is_web_url(url: str | None) -> bool:
    # Only web links become clickable: a javascript: or data: URL must never be an href.
    return bool(url) and str(url).lower().startswith(("https://", "http://"))


def render_record_published(event: RecordPublished, *, portal_base_url: str) -> RenderedEmail:
    """Tell an enterprise that a government record about it is now public on the Blue Map."""
    label = record_type_label(event.record_type)
    enterprise = event.enterprise
    url_zh = enterprise_page_url(portal_base_url, enterprise.enterprise_id)
    url_en = enterprise_page_url(portal_base_url, enterprise.enterprise_id, lang="en")
    source_url = event.source_url if _is_web_url(event.source_url) else None
    due = event.explanation_due_on if event.explainable else None

    subject = (
        f"【蔚蓝地图】新公开记录：{label.label_zh}（{event.year}） / "
        f"Blue Map: new record published – {label.label_en} ({event.year})"
    )

    zh_fields = [
        ("记录类型", label.label_zh),
        ("年份", str(event.year)),
        ("来源", event.source_title),
        ("发布机关", event.issuing_authority),
        ("发布日期", _zh_date(event.issued_on)),
    ]
    en_fields = [
        ("Record type", label.label_en),
        ("Year", str(event.year)),
        ("Source", event.source_title),
        ("Issuing authority", event.issuing_authority),
        ("Issued on", event.issued_on.isoformat()),
    ]
    if source_url:
        zh_fields.append(("原文链接", source_url))
        en_fields.append(("Source link", source_url))
    if due is not None:
        zh_fields.append(("说明截止日期", _zh_date(due)))
        en_fields.append(("Explanation due by", due.isoformat()))

    if event.explainable:
        zh_ask = (f"请于{_zh_date(due)}前" if due else "请尽快") + "登录蔚蓝地图，就该记录公开说明情况及后续整改措施。"
        en_ask = (
            f"Please disclose a public explanation and your corrective actions by {due.isoformat()}."
            if due
            else "Please disclose a public explanation and your corrective actions as soon as possible."
        )
    else:
        zh_ask = "该类记录无需企业说明，仅供知悉。"
        en_ask = "No explanation is required for this type of record; this message is for your information."

    en_name = enterprise.name_en or enterprise.name
    text_lines = [
        f"{enterprise.name}：",
        "",
        "蔚蓝地图数据库公开了一条关于贵企业的政府记录。",
        "",
        *(f"{k}：{v}" for k, v in zh_fields),
        "",
        zh_ask,
        f"贵企业的公开页面：{url_zh}",
        "",
        "此邮件由系统自动发送，请勿直接回复。",
        "",
        SEPARATOR,
        "",
        f"Dear {en_name},",
        "",
        "The Blue Map Database has published a government record about your enterprise.",
        "",
        *(f"{k}: {v}" for k, v in en_fields),
        "",
        en_ask,
        f"Your enterprise's public page: {url_en}",
        "",
        "This message was sent automatically; please do not reply to it.",
        "",
    ]

    def rows(fields: list[tuple[str, str]]) -> str:
        return "\n".join(f'<tr><th scope="row">{escape(k)}</th><td>{escape(v)}</td></tr>' for k, v in fields)

    def link(url: str) -> str:
        return f'<a href="{escape(url)}">{escape(url)}</a>'

    html = f"""<!DOCTYPE html>
<html lang="zh-Hans">
<head><meta charset="utf-8"><title>{escape(subject)}</title></head>
<body>
<section lang="zh-Hans">
<p>{escape(enterprise.name)}：</p>
<p>蔚蓝地图数据库公开了一条关于贵企业的政府记录。</p>
<table>
{rows(zh_fields)}
</table>
<p>{escape(zh_ask)}</p>
<p>贵企业的公开页面：{link(url_zh)}</p>
<p>此邮件由系统自动发送，请勿直接回复。</p>
</section>
<hr>
<section lang="en">
<p>Dear {escape(en_name)},</p>
<p>The Blue Map Database has published a government record about your enterprise.</p>
<table>
{rows(en_fields)}
</table>
<p>{escape(en_ask)}</p>
<p>Your enterprise's public page: {link(url_en)}</p>
<p>This message was sent automatically; please do not reply to it.</p>
</section>
</body>
</html>
"""
    return RenderedEmail(subject=subject, body_text="\n".join(text_lines), body_html=html)
