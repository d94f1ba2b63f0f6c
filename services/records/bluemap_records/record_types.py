"""The record types of the import format (v1), with labels and whether enterprises explain them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RecordType:
    code: str
    label_en: str
    label_zh: str
    explainable: bool


RECORD_TYPES: dict[str, RecordType] = {
    t.code: t
    for t in (
        RecordType("environmental_supervision", "Environmental Supervision Records", "环境监管记录", True),
        RecordType("rectification_order", "Rectification Orders", "整改通知", True),
        RecordType("cleaner_production_audit", "Cleaner Production Audit", "清洁生产审核", True),
        RecordType("environmental_credit_rating", "Environmental Credit Rating", "环境信用评价", True),
        RecordType("production_restriction", "Production Suspension/Restriction", "停产限产", True),
        RecordType("performance_grading", "Performance Grading by the Gov", "绩效分级", True),
        RecordType("environmental_accident_risk", "Environmental Accident Risk", "环境事故风险", True),
        RecordType("accident", "Accidents", "事故", True),
        RecordType("safety_supervision", "Safety Supervision Records", "安全监管记录", True),
        RecordType("inspection_report", "Inspection Reports", "督查报告", True),
        RecordType("automated_monitoring", "Automated Monitoring Data", "自动监测数据", True),
        RecordType("emissions_data", "Emissions Data", "排放数据", False),
        RecordType("key_monitoring_entity", "Key Monitoring Entities", "重点监控企业", False),
        RecordType("exemplary_list", "Exemplary List", "示范名单", False),
        RecordType("production_restriction_exemption", "Exempted from Production Restrictions", "豁免停限产", False),
        RecordType("monitoring_data", "Monitoring Data", "监测数据", False),
        RecordType("environmental_impact_assessment", "Environmental Impact Assessment", "环境影响评价", False),
    )
}
