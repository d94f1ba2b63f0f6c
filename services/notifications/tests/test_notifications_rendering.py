"""Email texts: both languages, the deadline, the link, and escaping in the HTML part."""

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from bluemap_notifications.emails.rendering import (
    Addressee,
    NewRecord,
    RecordFacts,
    enterprise_page_url,
    render_deadline_reminder,
    render_document_published,
    render_document_rejected,
    render_explanation_pdf,
    render_explanation_published,
    render_explanation_rejected,
    render_new_records,
    render_record_published,
    workspace_url,
)
from bluemap_notifications.follows.rendering import render_followed_records
from bluemap_shared.events.catalog import (
    DocumentPublished,
    DocumentRejected,
    EnterpriseSnapshot,
    ExplanationPublished,
    ExplanationRejected,
    PdfRendered,
    RecordPublished,
)

ENTERPRISE_ID = uuid4()


def event(**changes: object) -> RecordPublished:
    fields: dict[str, object] = {
        "record_id": uuid4(),
        "enterprise": EnterpriseSnapshot(
            enterprise_id=ENTERPRISE_ID,
            uscc="91610000220522613X",
            name="陕西永安兴庆门业有限公司",
            name_en="Shaanxi Yongan Xingqing Door Co., Ltd.",
            registered_emails=["ehs@example.com"],
        ),
        "record_type": "environmental_supervision",
        "explainable": True,
        "year": 2020,
        "source_title": "关于对强化监督定点帮扶发现问题进行督办的函(西安)",
        "issuing_authority": "中华人民共和国生态环境部",
        "issued_on": date(2020, 2, 20),
        "published_at": datetime(2020, 3, 1, tzinfo=UTC),
        "explanation_due_on": date(2020, 3, 13),
    }
    fields.update(changes)
    return RecordPublished.model_validate(fields)


def test_subject_names_the_type_in_chinese_then_english() -> None:
    rendered = render_record_published(event(), portal_base_url="https://portal.example.org/")
    assert rendered.subject.index("环境监管记录") < rendered.subject.index("Environmental Supervision Records")
    assert "2020" in rendered.subject
    assert "\n" not in rendered.subject


def test_text_body_has_every_fact_in_both_languages() -> None:
    text = render_record_published(event(), portal_base_url="https://portal.example.org/").body_text
    zh, en = text.split("-" * 40)
    for part in (zh, en):
        assert "关于对强化监督定点帮扶发现问题进行督办的函(西安)" in part
        assert "中华人民共和国生态环境部" in part
        assert "2020" in part
    assert "记录类型：环境监管记录" in zh
    assert "发布日期：2020年2月20日" in zh
    assert "2020年3月13日前" in zh
    assert "10个工作日内" in zh
    assert "within 10 working days" in en
    assert "https://portal.example.org/workspace" in zh
    assert f"https://portal.example.org/enterprises/{ENTERPRISE_ID}" in zh
    assert "陕西永安兴庆门业有限公司：" in zh
    assert "Record type: Environmental Supervision Records" in en
    assert "Issued on: 2020-02-20" in en
    assert "by 2020-03-13" in en
    assert f"https://portal.example.org/enterprises/{ENTERPRISE_ID}?lang=en" in en
    assert "Dear Shaanxi Yongan Xingqing Door Co., Ltd.," in en


def test_no_deadline_for_types_enterprises_do_not_explain() -> None:
    rendered = render_record_published(
        event(record_type="emissions_data", explainable=False, explanation_due_on=None),
        portal_base_url="http://127.0.0.1:8000",
    )
    assert "排放数据" in rendered.body_text
    assert "截止" not in rendered.body_text
    assert "due by" not in rendered.body_text
    assert "No explanation is required" in rendered.body_text


def test_unknown_type_falls_back_to_its_code() -> None:
    rendered = render_record_published(event(record_type="new_kind"), portal_base_url="http://x")
    assert "new_kind" in rendered.subject


def test_html_escapes_record_text_and_links_only_web_urls() -> None:
    hostile = event(
        source_title='<script>alert("x")</script>',
        issuing_authority="A & B <b>",
        source_url="javascript:alert(1)",
        enterprise=EnterpriseSnapshot(enterprise_id=ENTERPRISE_ID, uscc="91610000220522613X", name="<img src=x>"),
    )
    rendered = render_record_published(hostile, portal_base_url="http://portal")
    html = rendered.body_html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "A &amp; B &lt;b&gt;" in html
    assert "<img" not in html
    assert "javascript:" not in html
    assert "javascript:" not in rendered.body_text
    # The plain text part is not HTML: it carries the text as given.
    assert '<script>alert("x")</script>' in rendered.body_text


def test_page_url_joins_cleanly() -> None:
    assert enterprise_page_url("http://p/", ENTERPRISE_ID) == f"http://p/enterprises/{ENTERPRISE_ID}"
    assert enterprise_page_url("http://p", ENTERPRISE_ID, lang="en").endswith("?lang=en")


YONGAN = Addressee("陕西永安兴庆门业有限公司", "Shaanxi Yongan Xingqing Door Co., Ltd.")
RECORD = RecordFacts(
    record_type="environmental_supervision",
    year=2020,
    source_title="关于对强化监督定点帮扶发现问题进行督办的函(西安)",
    issuing_authority="中华人民共和国生态环境部",
    issued_on=date(2020, 2, 20),
    explanation_due_on=date(2020, 3, 5),
)


def pdf_rendered(**changes: object) -> PdfRendered:
    fields: dict[str, object] = {
        "document_id": uuid4(),
        "submission_id": uuid4(),
        "enterprise_id": ENTERPRISE_ID,
        "language": "zh",
        "document_number": "BM-2024-000123",
        "verification_code": "ab" * 32,
        "filename": "公开说明-BM-2024-000123.pdf",
        "size": 1234,
        "sha256": "cd" * 32,
        "download_url": "https://documents.example.org/dl/abc?sig=x",
        "download_expires_at": datetime(2024, 5, 20, tzinfo=UTC),
        # 20:00 UTC is already the next day in China.
        "rendered_at": datetime(2024, 5, 6, 20, 0, tzinfo=UTC),
    }
    return PdfRendered.model_validate(fields | changes)


def test_pdf_email_says_print_sign_scan_upload_in_chinese_then_english() -> None:
    rendered = render_explanation_pdf(pdf_rendered(), to=YONGAN, portal_base_url="https://portal.example.org/")
    zh, en = rendered.body_text.split("-" * 40)
    assert "BM-2024-000123" in rendered.subject
    assert rendered.subject.index("签章") < rendered.subject.index("sign")
    for word in ("打印", "签字或加盖企业公章", "扫描", "“上传公开说明”", "https://portal.example.org/workspace"):
        assert word in zh, word
    assert zh.index("打印") < zh.index("扫描") < zh.index("上传公开说明")
    assert "陕西永安兴庆门业有限公司：" in zh
    assert "验证码：" + "ab" * 32 in zh
    assert "生成日期：2024年5月7日" in zh
    for phrase in ("Print", "official seal", "Scan", '"Upload Public Explanation"', "/workspace"):
        assert phrase in en, phrase
    assert "Dear Shaanxi Yongan Xingqing Door Co., Ltd.," in en
    assert "Issued on: 2024-05-07" in en
    # The capability URL is for the dispatcher, never for the reader.
    assert "sig=x" not in rendered.body_text
    assert "sig=x" not in rendered.body_html
    assert '<a href="https://portal.example.org/workspace">' in rendered.body_html


def test_pdf_email_to_an_enterprise_not_known_yet_greets_politely() -> None:
    text = render_explanation_pdf(pdf_rendered(), to=Addressee(), portal_base_url="http://p").body_text
    assert text.startswith("您好：")
    assert "Dear Sir or Madam," in text


def test_rejection_passes_on_the_comment_and_what_to_do() -> None:
    event = ExplanationRejected(
        explanation_id=uuid4(),
        submission_id=uuid4(),
        record_id=uuid4(),
        enterprise_id=ENTERPRISE_ID,
        comment="整改措施不具体，请补充完成时间。\nPlease add dates.",
        reviewed_by="reviewer-1",
        rejected_at=datetime(2024, 5, 6, tzinfo=UTC),
    )
    rendered = render_explanation_rejected(event, to=YONGAN, record=RECORD, portal_base_url="http://p")
    zh, en = rendered.body_text.split("-" * 40)
    assert "未通过审核" in rendered.subject
    assert "环境监管记录（2020）" in rendered.subject
    assert "审核意见：整改措施不具体，请补充完成时间。" in zh
    assert "“发送公开说明”" in zh
    assert "关于对强化监督定点帮扶发现问题进行督办的函(西安)" in zh
    assert "Reviewer's comment: 整改措施不具体" in en
    assert '"Send Public Explanation"' in en
    assert "http://p/workspace" in en
    unknown = render_explanation_rejected(event, to=YONGAN, record=None, portal_base_url="http://p")
    assert "整改措施不具体" in unknown.body_text


def test_document_rejection_of_the_signed_scan_asks_to_upload_it_again() -> None:
    event = DocumentRejected(
        document_id=uuid4(),
        enterprise_id=ENTERPRISE_ID,
        kind="signed-explanation",
        filename="签章公开说明.pdf",
        comment="未加盖公章。",
        reviewed_by="reviewer-1",
        rejected_at=datetime(2024, 5, 6, tzinfo=UTC),
    )
    rendered = render_document_rejected(event, to=YONGAN, portal_base_url="http://p")
    assert "审核意见：未加盖公章。" in rendered.body_text
    assert "签章版公开说明" in rendered.body_text
    assert '"Upload Public Explanation"' in rendered.body_text
    supporting = render_document_rejected(
        event.model_copy(update={"kind": "supporting"}), to=YONGAN, portal_base_url="http://p"
    )
    assert "重新上传" in supporting.body_text
    assert "Upload Public Explanation" not in supporting.body_text


def test_publication_confirmations_link_the_public_page() -> None:
    explanation = ExplanationPublished(
        explanation_id=uuid4(),
        submission_id=uuid4(),
        record_id=uuid4(),
        enterprise_id=ENTERPRISE_ID,
        violation="v",
        reasons="r",
        corrective_actions="c",
        reviewed_by="reviewer-1",
        published_at=datetime(2024, 5, 6, tzinfo=UTC),
    )
    text = render_explanation_published(explanation, to=YONGAN, record=RECORD, portal_base_url="http://p").body_text
    assert "已通过审核" in text
    assert f"http://p/enterprises/{ENTERPRISE_ID}" in text
    document = DocumentPublished(
        document_id=uuid4(),
        enterprise_id=ENTERPRISE_ID,
        kind="signed-explanation",
        filename="签章公开说明.pdf",
        content_type="application/pdf",
        size=10,
        sha256="ef" * 32,
        verification_code="ab" * 32,
        reviewed_by="reviewer-1",
        published_at=datetime(2024, 5, 6, tzinfo=UTC),
    )
    rendered = render_document_published(document, to=YONGAN, portal_base_url="http://p")
    assert "签章公开说明.pdf" in rendered.subject
    assert "ab" * 32 in rendered.body_text


def test_reminder_counts_the_days_left_and_states_the_deadline() -> None:
    due = date(2024, 5, 17)
    ahead = render_deadline_reminder(
        record=RECORD,
        due_on=due,
        today=due - timedelta(days=3),
        to=YONGAN,
        enterprise_id=ENTERPRISE_ID,
        portal_base_url="http://p",
    )
    assert "还有3天" in ahead.subject
    assert "due in 3 days" in ahead.subject
    assert "2024年5月17日" in ahead.body_text
    assert "10个工作日" in ahead.body_text
    assert "Explanation due by: 2024-05-17" in ahead.body_text
    assert "within 10 working days" in ahead.body_text
    assert "http://p/workspace" in ahead.body_text
    on_the_day = render_deadline_reminder(
        record=RECORD, due_on=due, today=due, to=YONGAN, enterprise_id=ENTERPRISE_ID, portal_base_url="http://p"
    )
    assert "今天是说明截止日" in on_the_day.subject
    assert "due today" in on_the_day.subject


def test_subjects_never_break_the_header() -> None:
    event = DocumentRejected(
        document_id=uuid4(),
        enterprise_id=ENTERPRISE_ID,
        kind="supporting",
        filename="a\r\nBcc: victim@example.com.pdf",
        comment="<script>x</script>",
        reviewed_by="r",
        rejected_at=datetime(2024, 5, 6, tzinfo=UTC),
    )
    rendered = render_document_rejected(event, to=Addressee("<b>x</b>"), portal_base_url="http://p")
    assert "\n" not in rendered.subject
    assert "\r" not in rendered.subject
    assert "<script>" not in rendered.body_html
    assert "&lt;script&gt;x&lt;/script&gt;" in rendered.body_html
    assert "<b>x</b>" not in rendered.body_html


def test_workspace_url_joins_cleanly() -> None:
    assert workspace_url("http://p/") == "http://p/workspace"


def new_record(title: str, **changes: object) -> NewRecord:
    fields: dict[str, object] = {
        "record_type": "environmental_supervision",
        "explainable": True,
        "year": 2020,
        "source_title": title,
        "issuing_authority": "中华人民共和国生态环境部",
        "issued_on": date(2020, 2, 20),
        "explanation_due_on": date(2020, 3, 13),
    }
    return NewRecord(**(fields | changes))  # type: ignore[arg-type]


def test_one_new_record_is_the_single_alert() -> None:
    single = event()
    assert render_new_records(
        ENTERPRISE_ID, [NewRecord.of(single)], to=YONGAN, portal_base_url="https://portal.example.org/"
    ) == render_record_published(single, portal_base_url="https://portal.example.org/")


def test_several_new_records_are_listed_each_with_its_deadline() -> None:
    records = [
        new_record("第二条", issued_on=date(2020, 2, 21), explanation_due_on=date(2020, 3, 16)),
        new_record("第一条", source_url="https://www.mee.gov.cn/a"),
        new_record("第三条", record_type="emissions_data", explainable=False, explanation_due_on=None),
    ]
    rendered = render_new_records(ENTERPRISE_ID, records, to=YONGAN, portal_base_url="https://portal.example.org")
    assert "新公开记录3条" in rendered.subject
    assert "3 new records published" in rendered.subject
    zh, en = rendered.body_text.split("-" * 40)
    assert "蔚蓝地图数据库公开了3条关于贵企业的政府记录。" in zh
    # Numbered, soonest deadline first, then what needs no explanation; each with its own deadline.
    assert zh.index("1. 记录类型：环境监管记录") < zh.index("来源：第一条") < zh.index("来源：第二条")
    assert zh.index("来源：第二条") < zh.index("3. 记录类型：排放数据") < zh.index("来源：第三条")
    assert "   说明截止日期：2020年3月13日" in zh
    assert "   说明截止日期：2020年3月16日" in zh
    assert "   说明截止日期：无需说明" in zh
    assert "   原文链接：https://www.mee.gov.cn/a" in zh
    assert "最早为2020年3月13日" in zh
    assert "   Explanation due by: 2020-03-16" in en
    assert "   Explanation due by: not required" in en
    assert "the first is 2020-03-13" in en
    assert "https://portal.example.org/workspace" in zh
    assert rendered.body_html.count("<li><table>") == 6


def test_a_long_digest_lists_the_first_records_and_counts_the_rest() -> None:
    records = [new_record(f"记录{i:03}") for i in range(7)]
    rendered = render_new_records(ENTERPRISE_ID, records, to=YONGAN, portal_base_url="http://p", max_listed=5)
    assert "新公开记录7条" in rendered.subject
    assert "记录004" in rendered.body_text
    assert "记录005" not in rendered.body_text
    assert "另有2条记录未在此列出" in rendered.body_text
    assert "2 more records are not listed here" in rendered.body_text


def test_a_digest_escapes_its_records_in_html() -> None:
    records = [new_record('<script>alert("x")</script>'), new_record("B & <b>", source_url="javascript:alert(1)")]
    html = render_new_records(ENTERPRISE_ID, records, to=Addressee("<img src=x>"), portal_base_url="http://p").body_html
    assert "<script>" not in html
    assert "<img" not in html
    assert "B &amp; &lt;b&gt;" in html
    assert "javascript:" not in html


def test_a_follower_digest_names_the_enterprise_and_lists_the_records() -> None:
    records = [new_record("第一条"), new_record("第二条", record_type="accident")]
    rendered = render_followed_records(
        ENTERPRISE_ID, records, name="陕西永安兴庆门业有限公司", name_en=None, portal_base_url="http://p"
    )
    assert rendered.subject.startswith("【蔚蓝地图】陕西永安兴庆门业有限公司有2条新的环境监管记录")
    assert "1. 记录类型：环境监管记录（2020）" in rendered.body_text
    assert "2. 记录类型：事故（2020）" in rendered.body_text  # by issue date, then title
    assert "   Source: 第二条" in rendered.body_text
    one = render_followed_records(ENTERPRISE_ID, records[:1], name="企业", name_en=None, portal_base_url="http://p")
    assert (
        one.subject
        == "【蔚蓝地图】企业有一条新的环境监管记录 / Blue Map: 企业 has a new environmental supervision record"
    )
