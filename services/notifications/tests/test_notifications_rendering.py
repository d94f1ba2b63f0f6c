"""Email texts: both languages, the deadline, the link, and escaping in the HTML part."""

from datetime import UTC, date, datetime
from uuid import uuid4

from bluemap_notifications.emails.rendering import enterprise_page_url, render_record_published
from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished

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
