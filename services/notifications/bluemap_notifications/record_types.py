"""Labels of the record types of the import format (v1), as the emails name them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RecordTypeLabel:
    label_en: str
    label_zh: str


# A copy of the records service's table: services share events, not code.
RECORD_TYPE_LABELS: dict[str, RecordTypeLabel] = {
    "environmental_supervision": RecordTypeLabel("Environmental Supervision Records", "环境监管记录"),
    "rectification_order": RecordTypeLabel("Rectification Orders", "整改通知"),
    "cleaner_production_audit": RecordTypeLabel("Cleaner Production Audit", "清洁生产审核"),
    "environmental_credit_rating": RecordTypeLabel("Environmental Credit Rating", "环境信用评价"),
    "production_restriction": RecordTypeLabel("Production Suspension/Restriction", "停产限产"),
    "performance_grading": RecordTypeLabel("Performance Grading by the Gov", "绩效分级"),
    "environmental_accident_risk": RecordTypeLabel("Environmental Accident Risk", "环境事故风险"),
    "accident": RecordTypeLabel("Accidents", "事故"),
    "safety_supervision": RecordTypeLabel("Safety Supervision Records", "安全监管记录"),
    "inspection_report": RecordTypeLabel("Inspection Reports", "督查报告"),
    "automated_monitoring": RecordTypeLabel("Automated Monitoring Data", "自动监测数据"),
    "emissions_data": RecordTypeLabel("Emissions Data", "排放数据"),
    "key_monitoring_entity": RecordTypeLabel("Key Monitoring Entities", "重点监控企业"),
    "exemplary_list": RecordTypeLabel("Exemplary List", "示范名单"),
    "production_restriction_exemption": RecordTypeLabel("Exempted from Production Restrictions", "豁免停限产"),
    "monitoring_data": RecordTypeLabel("Monitoring Data", "监测数据"),
    "environmental_impact_assessment": RecordTypeLabel("Environmental Impact Assessment", "环境影响评价"),
}


def record_type_label(code: str) -> RecordTypeLabel:
    """The labels of a type; a type newer than this table shows its code rather than failing."""
    return RECORD_TYPE_LABELS.get(code, RecordTypeLabel(code, code))
