"""The portal's disclosure pages on real PostgreSQL: explanations, documents, feedback, categories, verification."""

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from portal_testing import (
    NAME,
    TITLE,
    Start,
    client,
    document_published,
    envelope,
    explanation_published,
    feed,
    pdf_rendered,
    published,
    registered,
    snapshot,
    status_changed,
)

from bluemap_portal.clock import china_today
from bluemap_shared.events.catalog import (
    MonitoringDetails,
    RecordRetracted,
    RecordUpdated,
)

pytestmark = pytest.mark.integration

DOCS = "https://docs.example.org/api/documents"


def content_url(document_id: UUID) -> str:
    return f"{DOCS}/v1/public/documents/{document_id}/content"


async def test_enterprise_page_shows_explanations_documents_and_feedback(start: Start) -> None:
    enterprise_id, submission_id = uuid4(), uuid4()
    company = snapshot(enterprise_id)
    due = china_today() + timedelta(days=5)
    monitored = published(company, record_type="automated_monitoring", explanation_due_on=due, source_title="超标记录")
    other = published(company, record_type="rectification_order", explanation_due_on=due, source_title="整改通知书")
    explanation = explanation_published(
        monitored.record_id,
        enterprise_id,
        submission_id=submission_id,
        monitoring=MonitoringDetails(
            pollutant="二氧化硫",
            measured_value="312",
            limit_value="200",
            unit="mg/m³",
            period_start=datetime(2024, 5, 1, 0, 0, tzinfo=UTC),
            period_end=datetime(2024, 5, 1, 1, 0, tzinfo=UTC),
        ),
    )
    rendered = pdf_rendered(enterprise_id, submission_id)
    signed = document_published(
        enterprise_id,
        kind="signed-explanation",
        filename="签章公开说明.pdf",
        record_ids=[monitored.record_id],
        submission_id=submission_id,
        published_at=datetime.now(UTC) - timedelta(hours=1),
    )
    permit = document_published(
        enterprise_id,
        category="discharge_permit",
        filename="排污许可证.pdf",
        record_ids=[monitored.record_id, other.record_id],
        published_at=datetime.now(UTC) - timedelta(days=1),
    )
    async with start(documents_public_base_url=DOCS) as svc:
        await feed(
            svc,
            envelope(registered(company)),
            envelope(monitored),
            envelope(other),
            envelope(explanation),
            envelope(rendered),
            envelope(signed),
            envelope(permit),
        )
        async with client(svc.site) as site:
            html = (await site.get(f"/enterprises/{enterprise_id}")).text
            english = (await site.get(f"/enterprises/{enterprise_id}", params={"lang": "en"})).text
        async with client(svc.app) as api:
            body = (await api.get(f"/v1/enterprises/{enterprise_id}")).json()

    for text in ("喷漆房废气收集处理设施未正常运行。", "设备检修期间未及时报告。", "已恢复运行并加装在线监控。"):
        assert text in html
    assert "二氧化硫" in html
    assert "312 mg/m³" in html
    assert "企业公开说明" in html
    assert f'href="{content_url(signed.document_id)}"' in html
    assert f'href="{content_url(permit.document_id)}"' in html
    assert "签章版公开说明" in html
    assert "排污许可证" in html
    # The signed scan shows its public explanation's number and verification code, linked to the verify page.
    assert rendered.document_number in html
    assert f'href="/verify/{rendered.verification_code}"' in html
    assert "企业反馈" in html
    feedback = html[html.index('id="enterprise-feedback"') :]
    assert feedback.index("签章公开说明.pdf") < feedback.index("排污许可证.pdf")  # newest first
    assert "超标记录" in feedback
    assert "secret-capability" not in html  # the notification's capability URL never reaches the public
    assert "待企业说明" in html
    assert "Enterprise Feedback" in english
    assert "Public explanation" in english
    assert "Signed public explanation" in english
    assert "Corrective actions" in english

    groups = {g["record_type"]: g["records"][0] for g in body["record_groups"]}
    monitored_json = groups["automated_monitoring"]
    assert monitored_json["display_status"] == "awaiting_explanation"
    [explained] = monitored_json["explanations"]
    assert explained["monitoring"]["pollutant"] == "二氧化硫"
    assert {d["id"] for d in monitored_json["documents"]} == {str(signed.document_id), str(permit.document_id)}
    assert [d["id"] for d in groups["rectification_order"]["documents"]] == [str(permit.document_id)]
    signed_json = next(d for d in body["documents"] if d["id"] == str(signed.document_id))
    assert signed_json["verification_code"] == rendered.verification_code
    assert signed_json["document_number"] == rendered.document_number
    assert signed_json["download_url"] == content_url(signed.document_id)
    assert [(f["kind"], f["id"]) for f in body["feedback"]] == [
        ("explanation", str(explanation.explanation_id)),
        ("document", str(signed.document_id)),
        ("document", str(permit.document_id)),
    ]


async def test_record_lifecycle_updates_statuses_and_retractions(start: Start) -> None:
    enterprise_id = uuid4()
    company = snapshot(enterprise_id)
    today = china_today()
    overdue = published(company, explanation_due_on=today - timedelta(days=1), source_title="逾期记录")
    awaiting = published(company, explanation_due_on=today, source_title="今日截止记录")
    reviewed = published(company, explanation_due_on=today - timedelta(days=3), source_title="审核中记录")
    retracted = published(company, explanation_due_on=today, source_title="误发记录")
    now = datetime.now(UTC)
    async with start() as svc:
        await feed(svc, envelope(registered(company)), *(envelope(r) for r in (overdue, awaiting, reviewed, retracted)))
        await feed(
            svc,
            envelope(explanation_published(retracted.record_id, enterprise_id)),
            envelope(status_changed(reviewed.record_id, enterprise_id, "explanation_submitted", now)),
            envelope(
                RecordRetracted(
                    record_id=retracted.record_id,
                    enterprise_id=enterprise_id,
                    reason="published in error",
                    retracted_at=now,
                )
            ),
            envelope(
                RecordUpdated(
                    **awaiting.model_dump(exclude={"published_at", "source_title", "summary"}),
                    source_title="今日截止记录（更正）",
                    summary="更正后的摘要。",
                    revision=2,
                    updated_at=now,
                )
            ),
            # A redelivered publication (another event id) and an older revision change nothing.
            envelope(awaiting),
            envelope(
                RecordUpdated(
                    **awaiting.model_dump(exclude={"published_at", "source_title"}),
                    source_title="旧版本",
                    revision=1,
                    updated_at=now - timedelta(hours=1),
                )
            ),
        )
        async with client(svc.site) as site:
            html = (await site.get(f"/enterprises/{enterprise_id}")).text
            category = (await site.get("/categories/environmental_supervision")).text
        assert "逾期未说明" in html
        assert "待企业说明" in html
        assert "说明审核中" in html
        assert "今日截止记录（更正）" in html
        assert "更正后的摘要。" in html
        assert "旧版本" not in html
        assert "误发记录" not in html
        assert "误发记录" not in category
        assert "今日截止记录（更正）" in category
        assert "喷漆房废气" not in html  # the retracted record's explanation went with it

        await feed(
            svc,
            envelope(status_changed(reviewed.record_id, enterprise_id, "explained", now + timedelta(minutes=1))),
            # Older than the change already applied: a replay must not undo it.
            envelope(status_changed(reviewed.record_id, enterprise_id, "under_review", now - timedelta(minutes=1))),
            envelope(status_changed(overdue.record_id, enterprise_id, "resolved", now)),
        )
        async with client(svc.app) as api:
            body = (await api.get(f"/v1/enterprises/{enterprise_id}")).json()
            feedback = (await api.get("/v1/categories/enterprise_feedback")).json()
    shown = {r["source_title"]: (r["status"], r["display_status"]) for r in body["record_groups"][0]["records"]}
    assert shown == {
        "逾期记录": ("resolved", "resolved"),
        "今日截止记录（更正）": ("awaiting_explanation", "awaiting_explanation"),
        "审核中记录": ("explained", "explained"),
    }
    assert body["feedback"] == []
    assert feedback["feedback"] == []


async def test_category_pages_page_through_every_enterprise(start: Start) -> None:
    first, second = uuid4(), uuid4()
    companies = [snapshot(first), snapshot(second, name="北京某化工有限公司", uscc="91110000100000000A")]
    records = [
        published(companies[i % 2], issued_on=date(2024, 1, 1) + timedelta(days=i), source_title=f"记录{i}")
        for i in range(3)
    ]
    other_type = published(companies[0], record_type="accident", source_title="事故记录")
    explanation = explanation_published(records[0].record_id, first, published_at=datetime.now(UTC))
    document = document_published(second, filename="检测报告.pdf", published_at=datetime.now(UTC) - timedelta(days=1))
    async with start(page_size=2, documents_public_base_url=DOCS) as svc:
        await feed(
            svc,
            *(envelope(registered(c)) for c in companies),
            *(envelope(r) for r in (*records, other_type)),
            envelope(explanation),
            envelope(document),
        )
        async with client(svc.site) as site:
            page1 = (await site.get("/categories/environmental_supervision")).text
            page2 = (await site.get("/categories/environmental_supervision", params={"page": 2})).text
            english = (await site.get("/categories/environmental_supervision", params={"lang": "en"})).text
            site.cookies.clear()  # ?lang=en sticks in a cookie; the next pages are asked for without it
            index = (await site.get("/categories")).text
            home = (await site.get("/")).text
            feedback = (await site.get("/categories/enterprise_feedback")).text
            missing = await site.get("/categories/no_such_type")
            bad_page = await site.get("/categories/accident", params={"page": 0})
        async with client(svc.app) as api:
            listed = (await api.get("/v1/categories")).json()
            second_page = (await api.get("/v1/categories/environmental_supervision", params={"page": 2})).json()
            feedback_json = (await api.get("/v1/categories/enterprise_feedback")).json()
            missing_json = await api.get("/v1/categories/no_such_type")

    assert "记录2" in page1
    assert "记录1" in page1
    assert "记录0" not in page1
    assert "事故记录" not in page1
    assert 'href="/categories/environmental_supervision?page=2"' in page1
    assert "北京某化工有限公司" in page1
    assert NAME in page1
    assert "记录0" in page2
    assert 'href="/categories/environmental_supervision?page=1"' in page2
    assert "?page=3" not in page2
    assert "Environmental Supervision Records" in english
    assert "page=2&amp;lang=en" in english
    for text in (index, home):
        assert 'href="/categories/enterprise_feedback"' in text
        assert 'href="/categories/inspection_report"' in text
    assert "企业反馈" in feedback
    assert feedback.index("记录0") < feedback.index("检测报告.pdf")
    assert f'href="{content_url(document.document_id)}"' in feedback
    assert f'href="/enterprises/{second}"' in feedback
    assert missing.status_code == 404
    assert "没有找到该企业或页面" in missing.text
    assert bad_page.status_code == 400

    assert len(listed) == 18
    assert {"code": "enterprise_feedback", "label_zh": "企业反馈", "label_en": "Enterprise Feedback"} in listed
    assert second_page["page"] == 2
    assert second_page["has_next"] is False
    assert [r["source_title"] for r in second_page["records"]] == ["记录0"]
    assert second_page["records"][0]["enterprise_name"] == NAME
    assert [(f["kind"], f["enterprise_id"]) for f in feedback_json["feedback"]] == [
        ("explanation", str(first)),
        ("document", str(second)),
    ]
    assert feedback_json["feedback"][0]["record"]["source_title"] == "记录0"
    assert missing_json.status_code == 404
    assert missing_json.headers["content-type"] == "application/problem+json"


async def test_verify_answers_from_rendered_and_published_documents(start: Start) -> None:
    enterprise_id, submission_id = uuid4(), uuid4()
    company = snapshot(enterprise_id)
    rendered = pdf_rendered(enterprise_id, submission_id)
    code = rendered.verification_code
    async with start(documents_public_base_url=DOCS) as svc:
        await feed(svc, envelope(registered(company)), envelope(rendered))
        async with client(svc.site) as site:
            form = await site.get("/verify")
            issued = await site.get(f"/verify/{code.upper()}")
            submitted = await site.get("/verify", params={"code": f"  {code}  "})
            english = await site.get(f"/verify/{code}", params={"lang": "en"})
        assert form.status_code == 200
        assert 'name="code"' in form.text
        assert issued.status_code == 200
        for text in (rendered.document_number, NAME, "2024年5月7日", "已生成，待企业签章上传", "验证通过"):
            assert text in issued.text, text
        assert submitted.status_code == 200
        assert rendered.document_number in submitted.text
        assert "Issued; awaiting the enterprise's signed copy" in english.text
        assert "Shaanxi Yongan Xingqing Door Co., Ltd." in english.text

        signed = document_published(
            enterprise_id,
            kind="signed-explanation",
            filename="签章公开说明.pdf",
            submission_id=submission_id,
            verification_code=code,
        )
        supporting_code = hashlib.sha256(b"supporting").hexdigest()
        supporting = document_published(enterprise_id, verification_code=supporting_code.upper())
        await feed(svc, envelope(signed), envelope(supporting))
        async with client(svc.site) as site, client(svc.app) as api:
            published_page = (await site.get(f"/verify/{code}")).text
            supporting_page = (await site.get(f"/verify/{supporting_code}")).text
            unknown = await site.get("/verify/" + "0" * 64)
            hostile = await site.get("/verify/%3Cscript%3Ealert(1)%3Cscript%3E")
            hostile_form = await site.get("/verify", params={"code": '"><img src=x onerror=alert(1)>'})
            other_tenant = await site.get(f"/verify/{code}", headers={"host": "demo.example.org"})
            answer = await api.get(f"/v1/verify/{code}")
            missing = await api.get("/v1/verify/" + "0" * 64)

    assert "已审核并公开" in published_page
    assert f'href="{content_url(signed.document_id)}"' in published_page
    assert "签章公开说明.pdf" in published_page
    assert "企业上传文件" in supporting_page
    assert f'href="{content_url(supporting.document_id)}"' in supporting_page
    for page in (unknown, hostile, hostile_form, other_tenant):
        assert page.status_code == 404
        assert "没有与该验证码匹配的文件" in page.text
        assert 'name="code"' in page.text
    assert "<script>alert" not in hostile.text
    assert 'value="&lt;script&gt;alert(1)&lt;script&gt;"' in hostile.text
    assert "<img" not in hostile_form.text
    assert 'value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in hostile_form.text
    body = answer.json()
    assert body["status"] == "published"
    assert body["kind"] == "public_explanation"
    assert body["document_number"] == rendered.document_number
    assert body["enterprise_name"] == NAME
    assert body["document"]["download_url"] == content_url(signed.document_id)
    assert body["issued_at"].startswith("2024-05-06T20:00:00")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_published_text_is_escaped_everywhere(start: Start) -> None:
    enterprise_id = uuid4()
    company = snapshot(enterprise_id, name="<b>坏</b>公司")
    record = published(company)
    hostile = "<script>alert('x')</script>"
    async with start(documents_public_base_url=DOCS) as svc:
        await feed(
            svc,
            envelope(record),
            envelope(
                explanation_published(
                    record.record_id, enterprise_id, violation=hostile, reasons="<img src=x onerror=alert(1)>"
                )
            ),
            envelope(document_published(enterprise_id, filename='"><script>alert(2)</script>.pdf', category=hostile)),
        )
        async with client(svc.site) as site:
            pages = [
                (await site.get(path)).text
                for path in (f"/enterprises/{enterprise_id}", "/categories/enterprise_feedback")
            ]
    for html in pages:
        assert "<script" not in html
        assert "<img" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert "&lt;b&gt;坏&lt;/b&gt;公司" in html
        assert not re.search(r'href="[^"]*<', html)
    assert TITLE in pages[0]
