"""Email texts, Chinese first then English; pure functions of the event and what is known of its record."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from urllib.parse import urlencode
from uuid import UUID

from bluemap_notifications.clock import CHINA
from bluemap_notifications.deadlines.schedule import days_left
from bluemap_notifications.record_types import record_type_label
from bluemap_shared.events.catalog import (
    DocumentPublished,
    DocumentRejected,
    EnterpriseEmailChangeRequested,
    ExplanationPublished,
    ExplanationRejected,
    PdfRendered,
    RecordPublished,
)

SEPARATOR = "-" * 40
EXPLANATION_WORKING_DAYS = 10
MAX_SUBJECT = 500


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body_text: str
    body_html: str


@dataclass(frozen=True)
class Addressee:
    """Whom an email greets; both names unknown when the enterprise's events have not arrived yet."""

    name: str | None = None
    name_en: str | None = None


@dataclass(frozen=True)
class RecordFacts:
    """What an email says about the record it concerns."""

    record_type: str
    year: int
    source_title: str
    issuing_authority: str
    issued_on: date
    explanation_due_on: date | None = None


@dataclass(frozen=True)
class Section:
    """One language's half of an email, in reading order."""

    lang: str
    greeting: str
    intro: list[str] = field(default_factory=list)
    fields: list[tuple[str, str]] = field(default_factory=list)
    # A numbered list of things, each with its own fields (the records of a digest).
    entries: list[list[tuple[str, str]]] = field(default_factory=list)
    asks: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    closing: str = ""


def enterprise_page_url(portal_base_url: str, enterprise_id: UUID, *, lang: str = "zh") -> str:
    """The enterprise's public page on the portal."""
    url = f"{portal_base_url.rstrip('/')}/enterprises/{enterprise_id}"
    return url if lang == "zh" else f"{url}?lang={lang}"


def workspace_url(portal_base_url: str) -> str:
    """Where enterprise staff explain records and upload documents."""
    return f"{portal_base_url.rstrip('/')}/workspace"


def _zh_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _china_date(value: datetime) -> date:
    return value.astimezone(CHINA).date()


def _is_web_url(url: str | None) -> bool:
    # Only web links become clickable: a javascript: or data: URL must never be an href.
    return bool(url) and str(url).lower().startswith(("https://", "http://"))


def _one_line(text: str) -> str:
    """Subjects are headers: no line breaks, bounded length."""
    return " ".join(text.split())[:MAX_SUBJECT]


def _subject(zh: str, en: str) -> str:
    return _one_line(f"【蔚蓝地图】{zh} / Blue Map: {en}")


def _greeting_zh(to: Addressee) -> str:
    return f"{to.name}：" if to.name else "您好："


def _greeting_en(to: Addressee) -> str:
    name = to.name_en or to.name
    return f"Dear {name}," if name else "Dear Sir or Madam,"


CLOSING_ZH = "此邮件由系统自动发送，请勿直接回复。"
CLOSING_EN = "This message was sent automatically; please do not reply to it."


def _record_fields_zh(record: RecordFacts) -> list[tuple[str, str]]:
    fields = [
        ("记录类型", record_type_label(record.record_type).label_zh),
        ("年份", str(record.year)),
        ("来源", record.source_title),
        ("发布机关", record.issuing_authority),
        ("发布日期", _zh_date(record.issued_on)),
    ]
    if record.explanation_due_on is not None:
        fields.append(("说明截止日期", _zh_date(record.explanation_due_on)))
    return fields


def _record_fields_en(record: RecordFacts) -> list[tuple[str, str]]:
    fields = [
        ("Record type", record_type_label(record.record_type).label_en),
        ("Year", str(record.year)),
        ("Source", record.source_title),
        ("Issuing authority", record.issuing_authority),
        ("Issued on", record.issued_on.isoformat()),
    ]
    if record.explanation_due_on is not None:
        fields.append(("Explanation due by", record.explanation_due_on.isoformat()))
    return fields


def _record_tag(record: RecordFacts | None) -> tuple[str, str]:
    """Short names of the record for subjects: type and year."""
    if record is None:
        return "", ""
    label = record_type_label(record.record_type)
    return f"：{label.label_zh}（{record.year}）", f" – {label.label_en} ({record.year})"


def compose(subject: str, zh: Section, en: Section) -> RenderedEmail:
    """Both halves as plain text and as HTML, every value escaped in the HTML part."""
    return RenderedEmail(
        subject=subject,
        body_text="\n".join([*_text(zh, "："), SEPARATOR, "", *_text(en, ": ")]),
        body_html=_html(subject, zh, en),
    )


def _text(section: Section, colon: str) -> list[str]:
    lines = [section.greeting, ""]
    for paragraph in section.intro:
        lines += [paragraph, ""]
    if section.fields:
        lines += [f"{k}{colon}{v}" for k, v in section.fields]
        lines.append("")
    for n, entry in enumerate(section.entries, start=1):
        marker = f"{n}. "
        lines += [f"{marker if at == 0 else ' ' * len(marker)}{k}{colon}{v}" for at, (k, v) in enumerate(entry)]
        lines.append("")
    lines += section.asks
    lines += [f"{n}. {step}" for n, step in enumerate(section.steps, start=1)]
    lines += [f"{label}{colon}{url}" for label, url in section.links]
    if section.asks or section.steps or section.links:
        lines.append("")
    lines += [section.closing, ""]
    return lines


def _html_section(section: Section, colon: str) -> str:
    def link(url: str) -> str:
        return f'<a href="{escape(url)}">{escape(url)}</a>' if _is_web_url(url) else escape(url)

    parts = [f'<section lang="{"zh-Hans" if section.lang == "zh" else "en"}">', f"<p>{escape(section.greeting)}</p>"]
    parts += [f"<p>{escape(p)}</p>" for p in section.intro]
    if section.fields:
        parts.append(_html_table(section.fields))
    if section.entries:
        parts.append("<ol>\n" + "\n".join(f"<li>{_html_table(entry)}</li>" for entry in section.entries) + "\n</ol>")
    parts += [f"<p>{escape(p)}</p>" for p in section.asks]
    if section.steps:
        parts.append("<ol>\n" + "\n".join(f"<li>{escape(s)}</li>" for s in section.steps) + "\n</ol>")
    parts += [f"<p>{escape(label)}{colon}{link(url)}</p>" for label, url in section.links]
    parts += [f"<p>{escape(section.closing)}</p>", "</section>"]
    return "\n".join(parts)


def _html_table(fields: list[tuple[str, str]]) -> str:
    rows = "\n".join(
        f'<tr><th scope="row">{escape(k)}</th><td style="white-space: pre-wrap">{escape(v)}</td></tr>'
        for k, v in fields
    )
    return f"<table>\n{rows}\n</table>"


def _html(subject: str, zh: Section, en: Section) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-Hans">
<head><meta charset="utf-8"><title>{escape(subject)}</title></head>
<body>
{_html_section(zh, "：")}
<hr>
{_html_section(en, ": ")}
</body>
</html>
"""


@dataclass(frozen=True)
class NewRecord:
    """A newly public record as its alert tells it."""

    record_type: str
    explainable: bool
    year: int
    source_title: str
    issuing_authority: str
    issued_on: date
    source_url: str | None = None
    explanation_due_on: date | None = None

    @classmethod
    def of(cls, event: RecordPublished) -> "NewRecord":
        return cls(
            event.record_type,
            event.explainable,
            event.year,
            event.source_title,
            event.issuing_authority,
            event.issued_on,
            event.source_url,
            event.explanation_due_on,
        )

    def facts(self) -> RecordFacts:
        due = self.explanation_due_on if self.explainable else None
        return RecordFacts(self.record_type, self.year, self.source_title, self.issuing_authority, self.issued_on, due)


def render_record_published(event: RecordPublished, *, portal_base_url: str) -> RenderedEmail:
    """Tell an enterprise that a government record about it is now public, and by when to explain it."""
    enterprise = event.enterprise
    return render_new_records(
        enterprise.enterprise_id,
        [NewRecord.of(event)],
        to=Addressee(enterprise.name, enterprise.name_en),
        portal_base_url=portal_base_url,
    )


def render_new_records(
    enterprise_id: UUID,
    records: Sequence[NewRecord],
    *,
    to: Addressee,
    portal_base_url: str,
    max_listed: int = 100,
) -> RenderedEmail:
    """Tell an enterprise which government records about it are now public, each with its deadline.

    One record reads as the single alert it always was; several are listed, the first max_listed of them.
    """
    if len(records) == 1:
        return _render_one_new_record(enterprise_id, records[0], to=to, portal_base_url=portal_base_url)
    links_zh = [("贵企业的公开页面", enterprise_page_url(portal_base_url, enterprise_id))]
    links_en = [("Your enterprise's public page", enterprise_page_url(portal_base_url, enterprise_id, lang="en"))]
    # What asks for an explanation first, soonest due first: the order the enterprise works in.
    listed = sorted(records, key=_by_deadline)[:max_listed]
    dues = [r.explanation_due_on for r in records if r.explainable and r.explanation_due_on is not None]
    days = EXPLANATION_WORKING_DAYS
    if any(r.explainable for r in records):
        first = min(dues) if dues else None
        zh_ask = (
            f"请在{days}个工作日内（各记录的说明截止日期见上，最早为{_zh_date(first)}）" if first else "请尽快"
        ) + "登录蔚蓝地图，就需说明的记录公开说明情况及后续整改措施。"
        en_ask = (
            "Please disclose a public explanation and your corrective actions for each record that asks for one "
            f"within {days} working days: each record's due date is above, the first is {first.isoformat()}."
            if first
            else "Please disclose a public explanation and your corrective actions as soon as possible."
        )
        links_zh.append(("企业工作台", workspace_url(portal_base_url)))
        links_en.append(("Your workspace", workspace_url(portal_base_url)))
    else:
        zh_ask = "这些记录无需企业说明，仅供知悉。"
        en_ask = "No explanation is required for these records; this message is for your information."
    more = len(records) - len(listed)
    asks_zh = [f"另有{more}条记录未在此列出，请登录企业工作台查看。", zh_ask] if more else [zh_ask]
    asks_en = [f"{more} more records are not listed here; see them in your workspace.", en_ask] if more else [en_ask]
    count = len(records)
    return compose(
        _subject(f"新公开记录{count}条", f"{count} new records published"),
        Section(
            "zh",
            _greeting_zh(to),
            intro=[f"蔚蓝地图数据库公开了{count}条关于贵企业的政府记录。"],
            entries=[_new_record_fields_zh(r) for r in listed],
            asks=asks_zh,
            links=links_zh,
            closing=CLOSING_ZH,
        ),
        Section(
            "en",
            _greeting_en(to),
            intro=[f"The Blue Map Database has published {count} government records about your enterprise."],
            entries=[_new_record_fields_en(r) for r in listed],
            asks=asks_en,
            links=links_en,
            closing=CLOSING_EN,
        ),
    )


def _by_deadline(record: NewRecord) -> tuple[bool, date, date, str]:
    due = record.explanation_due_on if record.explainable and record.explanation_due_on else date.max
    return (not record.explainable, due, record.issued_on, record.source_title)


def _new_record_fields_zh(record: NewRecord) -> list[tuple[str, str]]:
    fields = _record_fields_zh(record.facts())
    if _is_web_url(record.source_url):
        fields.insert(5, ("原文链接", str(record.source_url)))
    if not record.explainable:
        fields.append(("说明截止日期", "无需说明"))
    return fields


def _new_record_fields_en(record: NewRecord) -> list[tuple[str, str]]:
    fields = _record_fields_en(record.facts())
    if _is_web_url(record.source_url):
        fields.insert(5, ("Source link", str(record.source_url)))
    if not record.explainable:
        fields.append(("Explanation due by", "not required"))
    return fields


def _render_one_new_record(
    enterprise_id: UUID, record: NewRecord, *, to: Addressee, portal_base_url: str
) -> RenderedEmail:
    label = record_type_label(record.record_type)
    facts = record.facts()
    due = facts.explanation_due_on
    zh_fields = _record_fields_zh(facts)
    en_fields = _record_fields_en(facts)
    if _is_web_url(record.source_url):
        source_url = str(record.source_url)
        # The source link reads best next to the source, before the deadline.
        zh_fields.insert(5, ("原文链接", source_url))
        en_fields.insert(5, ("Source link", source_url))

    days = EXPLANATION_WORKING_DAYS
    links_zh = [("贵企业的公开页面", enterprise_page_url(portal_base_url, enterprise_id))]
    links_en = [("Your enterprise's public page", enterprise_page_url(portal_base_url, enterprise_id, lang="en"))]
    if record.explainable:
        zh_ask = (
            f"请在{days}个工作日内（即{_zh_date(due)}前）" if due else "请尽快"
        ) + "登录蔚蓝地图，就该记录公开说明情况及后续整改措施。"
        en_ask = (
            f"Please disclose a public explanation and your corrective actions within {days} working days, "
            f"that is by {due.isoformat()}."
            if due
            else "Please disclose a public explanation and your corrective actions as soon as possible."
        )
        links_zh.append(("企业工作台", workspace_url(portal_base_url)))
        links_en.append(("Your workspace", workspace_url(portal_base_url)))
    else:
        zh_ask = "该类记录无需企业说明，仅供知悉。"
        en_ask = "No explanation is required for this type of record; this message is for your information."

    return compose(
        _subject(
            f"新公开记录：{label.label_zh}（{record.year}）", f"new record published – {label.label_en} ({record.year})"
        ),
        Section(
            "zh",
            _greeting_zh(to),
            intro=["蔚蓝地图数据库公开了一条关于贵企业的政府记录。"],
            fields=zh_fields,
            asks=[zh_ask],
            links=links_zh,
            closing=CLOSING_ZH,
        ),
        Section(
            "en",
            _greeting_en(to),
            intro=["The Blue Map Database has published a government record about your enterprise."],
            fields=en_fields,
            asks=[en_ask],
            links=links_en,
            closing=CLOSING_EN,
        ),
    )


def render_explanation_pdf(event: PdfRendered, *, to: Addressee, portal_base_url: str) -> RenderedEmail:
    """Send the rendered public explanation, with what to do with it: print, sign or seal, scan, upload."""
    workspace = workspace_url(portal_base_url)
    rendered_on = _china_date(event.rendered_at)
    return compose(
        _subject(
            f"请签章并上传公开说明（{event.document_number}）",
            f"sign or seal and upload your public explanation ({event.document_number})",
        ),
        Section(
            "zh",
            _greeting_zh(to),
            intro=[f"贵企业通过蔚蓝地图发送的公开说明已生成，见本邮件附件（{event.filename}）。"],
            fields=[
                ("文件编号", event.document_number),
                ("验证码", event.verification_code),
                ("生成日期", _zh_date(rendered_on)),
            ],
            asks=["请确认内容无误后，按以下步骤完成公开说明："],
            steps=[
                "打印附件中的公开说明；",
                "由企业签字或加盖企业公章；",
                "将签字或盖章后的文件扫描并保存为PDF文件；",
                "登录蔚蓝地图企业工作台，点击“上传公开说明”，上传扫描件并提交。",
            ],
            links=[("企业工作台", workspace)],
            closing="审核通过后，公开说明将在蔚蓝地图上公开。" + CLOSING_ZH,
        ),
        Section(
            "en",
            _greeting_en(to),
            intro=[f"The public explanation your enterprise sent on the Blue Map is attached ({event.filename})."],
            fields=[
                ("Document number", event.document_number),
                ("Verification code", event.verification_code),
                ("Issued on", rendered_on.isoformat()),
            ],
            asks=["Please check it, then complete your public explanation:"],
            steps=[
                "Print the attached public explanation.",
                "Sign it, or stamp it with your company's official seal.",
                "Scan the signed or sealed document and save it as a PDF file.",
                'Sign in to your Blue Map workspace, click "Upload Public Explanation", upload the scan and submit it.',
            ],
            links=[("Your workspace", workspace)],
            closing="Once a reviewer approves it, the explanation is public on the Blue Map. " + CLOSING_EN,
        ),
    )


def render_explanation_rejected(
    event: ExplanationRejected, *, to: Addressee, record: RecordFacts | None, portal_base_url: str
) -> RenderedEmail:
    """Pass on the reviewer's comment on an explanation, and how to send it again."""
    tag_zh, tag_en = _record_tag(record)
    workspace = workspace_url(portal_base_url)
    return compose(
        _subject(f"公开说明未通过审核{tag_zh}", f"your public explanation was sent back{tag_en}"),
        Section(
            "zh",
            _greeting_zh(to),
            intro=["贵企业就以下记录提交的公开说明未通过审核，审核意见如下。"],
            fields=[*(_record_fields_zh(record) if record else []), ("审核意见", event.comment)],
            asks=["请按以下步骤重新提交："],
            steps=[
                "登录蔚蓝地图企业工作台，按审核意见修改该记录的公开说明并保存；",
                "点击“发送公开说明”重新提交；",
                "收到新生成的公开说明后，打印、签字或加盖企业公章、扫描，并通过“上传公开说明”上传。",
            ],
            links=[("企业工作台", workspace)],
            closing=CLOSING_ZH,
        ),
        Section(
            "en",
            _greeting_en(to),
            intro=["A reviewer sent back your enterprise's public explanation of the record below, with this comment."],
            fields=[*(_record_fields_en(record) if record else []), ("Reviewer's comment", event.comment)],
            asks=["To send it again:"],
            steps=[
                "Sign in to your Blue Map workspace, revise the explanation of this record as the comment asks, "
                "and save it.",
                'Click "Send Public Explanation" to submit it again.',
                "When the new public explanation arrives, print it, sign or seal it, scan it and upload it with "
                '"Upload Public Explanation".',
            ],
            links=[("Your workspace", workspace)],
            closing=CLOSING_EN,
        ),
    )


def render_explanation_published(
    event: ExplanationPublished, *, to: Addressee, record: RecordFacts | None, portal_base_url: str
) -> RenderedEmail:
    """Confirm that an explanation is public next to its record."""
    tag_zh, tag_en = _record_tag(record)
    comment_zh = [("审核意见", event.comment)] if event.comment else []
    comment_en = [("Reviewer's comment", event.comment)] if event.comment else []
    return compose(
        _subject(f"公开说明已发布{tag_zh}", f"your public explanation is published{tag_en}"),
        Section(
            "zh",
            _greeting_zh(to),
            intro=["贵企业提交的公开说明已通过审核，现已在蔚蓝地图上与相关记录一同公开。"],
            fields=[*(_record_fields_zh(record) if record else []), *comment_zh],
            links=[("贵企业的公开页面", enterprise_page_url(portal_base_url, event.enterprise_id))],
            closing=CLOSING_ZH,
        ),
        Section(
            "en",
            _greeting_en(to),
            intro=["Your enterprise's public explanation was approved and is now public next to its record."],
            fields=[*(_record_fields_en(record) if record else []), *comment_en],
            links=[
                ("Your enterprise's public page", enterprise_page_url(portal_base_url, event.enterprise_id, lang="en"))
            ],
            closing=CLOSING_EN,
        ),
    )


# An operator's decision on a record after an audit: (subject zh, subject en, intro zh, intro en).
LIFECYCLE_WORDING = {
    "resolved": (
        "记录已解决（已整改）",
        "a record was resolved",
        "经审核确认整改到位，以下记录已标记为已解决（公开页面注明原因与日期）。",
        "After an audit confirmed the corrections, the record below was resolved: the public page shows it as "
        "resolved, with the reason and the date.",
    ),
    "restored": (
        "记录已恢复，请重新说明",
        "a record was restored; please explain it again",
        "复查发现整改未到位，以下记录已恢复公开。请在新的截止日期前重新提交公开说明。",
        "A follow-up audit found the corrections were not real: the record below is public again. Please explain "
        "it again by the new deadline.",
    ),
    "retracted": (
        "记录已撤回",
        "a record was withdrawn",
        "以下记录系误发布，已撤回，不再公开，贵企业无需说明。",
        "The record below was published in error and is withdrawn: it is no longer public and needs no explanation.",
    ),
}


def render_record_lifecycle(
    change: str,
    *,
    reason: str,
    changed_at: datetime,
    enterprise_id: UUID,
    to: Addressee,
    record: RecordFacts | None,
    portal_base_url: str,
) -> RenderedEmail:
    """Tell the enterprise that an operator resolved, restored or retracted one of its records, and why."""
    subject_zh, subject_en, intro_zh, intro_en = LIFECYCLE_WORDING[change]
    tag_zh, tag_en = _record_tag(record)
    day = changed_at.astimezone(CHINA).date()
    return compose(
        _subject(f"{subject_zh}{tag_zh}", f"{subject_en}{tag_en}"),
        Section(
            "zh",
            _greeting_zh(to),
            intro=[intro_zh],
            fields=[*(_record_fields_zh(record) if record else []), ("原因", reason), ("日期", _zh_date(day))],
            links=[
                ("贵企业的公开页面", enterprise_page_url(portal_base_url, enterprise_id)),
                ("企业工作台", workspace_url(portal_base_url)),
            ],
            closing=CLOSING_ZH,
        ),
        Section(
            "en",
            _greeting_en(to),
            intro=[intro_en],
            fields=[*(_record_fields_en(record) if record else []), ("Reason", reason), ("Date", day.isoformat())],
            links=[
                ("Your enterprise's public page", enterprise_page_url(portal_base_url, enterprise_id, lang="en")),
                ("Workspace", workspace_url(portal_base_url)),
            ],
            closing=CLOSING_EN,
        ),
    )


SIGNED_EXPLANATION = "signed-explanation"
DOCUMENT_KINDS = {
    SIGNED_EXPLANATION: ("签章版公开说明", "Signed public explanation"),
    "supporting": ("整改佐证材料", "Supporting document"),
}


def _kind_labels(kind: str) -> tuple[str, str]:
    return DOCUMENT_KINDS.get(kind, (kind, kind))


def render_document_rejected(event: DocumentRejected, *, to: Addressee, portal_base_url: str) -> RenderedEmail:
    """Pass on the reviewer's comment on an uploaded document, and how to upload it again."""
    kind_zh, kind_en = _kind_labels(event.kind)
    workspace = workspace_url(portal_base_url)
    if event.kind == SIGNED_EXPLANATION:
        steps_zh = [
            "按审核意见重新打印公开说明；",
            "由企业签字或加盖企业公章；",
            "扫描并保存为PDF文件；",
            "登录蔚蓝地图企业工作台，点击“上传公开说明”重新上传并提交。",
        ]
        steps_en = [
            "Print the public explanation again, as the comment asks.",
            "Sign it, or stamp it with your company's official seal.",
            "Scan it and save it as a PDF file.",
            'Sign in to your Blue Map workspace, click "Upload Public Explanation", upload it again and submit it.',
        ]
    else:
        steps_zh = ["按审核意见修改或补充文件；", "登录蔚蓝地图企业工作台重新上传并提交。"]
        steps_en = [
            "Correct or complete the document as the comment asks.",
            "Sign in to your Blue Map workspace and upload it again.",
        ]
    return compose(
        _subject(
            f"上传的文件未通过审核：{event.filename}", f"your uploaded document was not accepted – {event.filename}"
        ),
        Section(
            "zh",
            _greeting_zh(to),
            intro=["贵企业上传的以下文件未通过审核，审核意见如下。"],
            fields=[("文件", event.filename), ("文件类型", kind_zh), ("审核意见", event.comment)],
            asks=["请按以下步骤重新上传："],
            steps=steps_zh,
            links=[("企业工作台", workspace)],
            closing=CLOSING_ZH,
        ),
        Section(
            "en",
            _greeting_en(to),
            intro=["A reviewer did not accept the document below that your enterprise uploaded, with this comment."],
            fields=[("File", event.filename), ("Document type", kind_en), ("Reviewer's comment", event.comment)],
            asks=["To upload it again:"],
            steps=steps_en,
            links=[("Your workspace", workspace)],
            closing=CLOSING_EN,
        ),
    )


def render_document_published(event: DocumentPublished, *, to: Addressee, portal_base_url: str) -> RenderedEmail:
    """Confirm that an uploaded document is public on the enterprise's page."""
    kind_zh, kind_en = _kind_labels(event.kind)
    code_zh = [("验证码", event.verification_code)] if event.verification_code else []
    code_en = [("Verification code", event.verification_code)] if event.verification_code else []
    return compose(
        _subject(f"文件已公开：{event.filename}", f"your document is published – {event.filename}"),
        Section(
            "zh",
            _greeting_zh(to),
            intro=["贵企业上传的文件已通过审核，现已在蔚蓝地图上公开。"],
            fields=[("文件", event.filename), ("文件类型", kind_zh), *code_zh],
            links=[("贵企业的公开页面", enterprise_page_url(portal_base_url, event.enterprise_id))],
            closing=CLOSING_ZH,
        ),
        Section(
            "en",
            _greeting_en(to),
            intro=["The document your enterprise uploaded was approved and is now public on the Blue Map."],
            fields=[("File", event.filename), ("Document type", kind_en), *code_en],
            links=[
                ("Your enterprise's public page", enterprise_page_url(portal_base_url, event.enterprise_id, lang="en"))
            ],
            closing=CLOSING_EN,
        ),
    )


def render_deadline_reminder(
    *, record: RecordFacts, due_on: date, today: date, to: Addressee, enterprise_id: UUID, portal_base_url: str
) -> RenderedEmail:
    """Remind an enterprise that a record still awaits its explanation, and by when."""
    label = record_type_label(record.record_type)
    left = days_left(due_on, today)
    facts = RecordFacts(
        record.record_type, record.year, record.source_title, record.issuing_authority, record.issued_on, due_on
    )
    if left <= 0:
        subject = _subject(
            f"今天是说明截止日：{label.label_zh}（{record.year}）",
            f"your explanation is due today – {label.label_en} ({record.year})",
        )
        when_zh, when_en = "今天", "today"
    else:
        subject = _subject(
            f"说明截止还有{left}天：{label.label_zh}（{record.year}）",
            f"explanation due in {left} day{'s' if left != 1 else ''} – {label.label_en} ({record.year})",
        )
        when_zh, when_en = f"{left}天后", f"in {left} day{'s' if left != 1 else ''}"
    days = EXPLANATION_WORKING_DAYS
    workspace = workspace_url(portal_base_url)
    return compose(
        subject,
        Section(
            "zh",
            _greeting_zh(to),
            intro=[
                f"贵企业尚未就以下记录公开说明。按照承诺，企业应在记录公开后{days}个工作日内公开说明情况及整改措施；"
                f"该记录的说明截止日期为{_zh_date(due_on)}（{when_zh}）。"
            ],
            fields=_record_fields_zh(facts),
            asks=["请登录蔚蓝地图企业工作台，就该记录公开说明情况及后续整改措施。"],
            links=[
                ("企业工作台", workspace),
                ("贵企业的公开页面", enterprise_page_url(portal_base_url, enterprise_id)),
            ],
            closing=CLOSING_ZH,
        ),
        Section(
            "en",
            _greeting_en(to),
            intro=[
                "Your enterprise has not yet explained the record below. As committed, enterprises explain a record "
                f"and their corrective actions within {days} working days of its publication; this one is due by "
                f"{due_on.isoformat()} ({when_en})."
            ],
            fields=_record_fields_en(facts),
            asks=["Please sign in to your Blue Map workspace and disclose your explanation and corrective actions."],
            links=[
                ("Your workspace", workspace),
                ("Your enterprise's public page", enterprise_page_url(portal_base_url, enterprise_id, lang="en")),
            ],
            closing=CLOSING_EN,
        ),
    )


def email_change_confirm_url(portal_base_url: str, token: str, *, lang: str = "zh") -> str:
    """The portal page that confirms a change of a registered email with the mailed token."""
    query = {"token": token} | ({"lang": lang} if lang != "zh" else {})
    return f"{portal_base_url.rstrip('/')}/workspace/email-change/confirm?{urlencode(query)}"


def _zh_instant(value: datetime) -> str:
    local = value.astimezone(CHINA)
    return f"{_zh_date(local.date())} {local:%H:%M}（北京时间）"


def _en_instant(value: datetime) -> str:
    return f"{value.astimezone(CHINA):%Y-%m-%d %H:%M} (China time)"


def render_email_change_verification(event: EnterpriseEmailChangeRequested, *, portal_base_url: str) -> RenderedEmail:
    """Ask the reader of the new address to confirm it as the enterprise's registered email, by the link."""
    to = Addressee(event.enterprise_name, event.enterprise_name_en)
    replaces_zh = [("被替换的邮箱", str(event.replaces_email))] if event.replaces_email else []
    replaces_en = [("Replaces", str(event.replaces_email))] if event.replaces_email else []
    return compose(
        _subject("请确认企业注册邮箱变更", "confirm the change of your enterprise's registered email"),
        Section(
            "zh",
            _greeting_zh(to),
            intro=[f"贵企业在蔚蓝地图企业工作台申请将本邮箱（{event.new_email}）设为企业注册邮箱。"],
            fields=[("企业", event.enterprise_name), ("新邮箱", str(event.new_email)), *replaces_zh],
            asks=[
                f"请在{_zh_instant(event.expires_at)}前打开以下链接并点击“确认”完成变更。链接仅可使用一次。",
                "如果这不是您或贵企业申请的，请忽略本邮件，注册邮箱不会改变。",
            ],
            links=[("确认链接", email_change_confirm_url(portal_base_url, event.confirmation_token))],
            closing=CLOSING_ZH,
        ),
        Section(
            "en",
            _greeting_en(to),
            intro=[
                f"Your enterprise asked in its Blue Map workspace to register this address ({event.new_email}) "
                "as its email address."
            ],
            fields=[
                ("Enterprise", event.enterprise_name_en or event.enterprise_name),
                ("New address", str(event.new_email)),
                *replaces_en,
            ],
            asks=[
                f"Please open the link below and click Confirm by {_en_instant(event.expires_at)}. "
                "The link works once.",
                "If neither you nor your enterprise asked for this, ignore this message: nothing changes.",
            ],
            links=[
                (
                    "Confirmation link",
                    email_change_confirm_url(portal_base_url, event.confirmation_token, lang="en"),
                )
            ],
            closing=CLOSING_EN,
        ),
    )


def render_email_change_notice(event: EnterpriseEmailChangeRequested, *, portal_base_url: str) -> RenderedEmail:
    """Tell the address being replaced that a change was asked for (no link: it is not for this mailbox to confirm)."""
    to = Addressee(event.enterprise_name, event.enterprise_name_en)
    workspace = workspace_url(portal_base_url)
    return compose(
        _subject("企业注册邮箱变更申请", "a change of your enterprise's registered email was requested"),
        Section(
            "zh",
            _greeting_zh(to),
            intro=[
                f"有人在蔚蓝地图企业工作台申请将贵企业的注册邮箱 {event.replaces_email} 更换为 {event.new_email}。"
                "新邮箱确认后，本邮箱将不再收到蔚蓝地图的企业通知。"
            ],
            fields=[("申请时间", _zh_instant(event.requested_at))],
            asks=["如果这不是贵企业申请的，请立即登录企业工作台或通过在线客服联系我们。"],
            links=[("企业工作台", workspace)],
            closing=CLOSING_ZH,
        ),
        Section(
            "en",
            _greeting_en(to),
            intro=[
                f"Someone asked in your Blue Map workspace to replace your enterprise's registered email "
                f"{event.replaces_email} with {event.new_email}. Once the new address confirms it, this address "
                "no longer receives the Blue Map's messages to your enterprise."
            ],
            fields=[("Requested at", _en_instant(event.requested_at))],
            asks=[
                "If your enterprise did not ask for this, sign in to your workspace or contact us through Live Chat."
            ],
            links=[("Your workspace", workspace)],
            closing=CLOSING_EN,
        ),
    )
