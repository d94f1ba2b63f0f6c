"""The record types of the import format (v1) with their labels, in the order pages list them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RecordTypeLabel:
    code: str
    label_en: str
    label_zh: str

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


# A copy of the records service's table: services share events, not code.
RECORD_TYPES: dict[str, RecordTypeLabel] = {
    t.code: t
    for t in (
        RecordTypeLabel("environmental_supervision", "Environmental Supervision Records", "环境监管记录"),
        RecordTypeLabel("rectification_order", "Rectification Orders", "整改通知"),
        RecordTypeLabel("cleaner_production_audit", "Cleaner Production Audit", "清洁生产审核"),
        RecordTypeLabel("environmental_credit_rating", "Environmental Credit Rating", "环境信用评价"),
        RecordTypeLabel("production_restriction", "Production Suspension/Restriction", "停产限产"),
        RecordTypeLabel("performance_grading", "Performance Grading by the Gov", "绩效分级"),
        RecordTypeLabel("environmental_accident_risk", "Environmental Accident Risk", "环境事故风险"),
        RecordTypeLabel("accident", "Accidents", "事故"),
        RecordTypeLabel("safety_supervision", "Safety Supervision Records", "安全监管记录"),
        RecordTypeLabel("inspection_report", "Inspection Reports", "督查报告"),
        RecordTypeLabel("automated_monitoring", "Automated Monitoring Data", "自动监测数据"),
        RecordTypeLabel("emissions_data", "Emissions Data", "排放数据"),
        RecordTypeLabel("key_monitoring_entity", "Key Monitoring Entities", "重点监控企业"),
        RecordTypeLabel("exemplary_list", "Exemplary List", "示范名单"),
        RecordTypeLabel("production_restriction_exemption", "Exempted from Production Restrictions", "豁免停限产"),
        RecordTypeLabel("monitoring_data", "Monitoring Data", "监测数据"),
        RecordTypeLabel("environmental_impact_assessment", "Environmental Impact Assessment", "环境影响评价"),
    )
}
# The category of what enterprises published (explanations, documents), listed among the record types.
ENTERPRISE_FEEDBACK = "enterprise_feedback"
_ORDER = {code: i for i, code in enumerate(RECORD_TYPES)}


def record_type(code: str) -> RecordTypeLabel:
    """The labels of a type; a type newer than this table shows its code rather than failing."""
    return RECORD_TYPES.get(code, RecordTypeLabel(code, code, code))


def sort_key(code: str) -> tuple[int, str]:
    """Known types in the table's order, then unknown ones by code."""
    return (_ORDER.get(code, len(_ORDER)), code)
