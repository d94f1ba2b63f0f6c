"""The catalogue of supporting-document categories (STEP 11-12 of the disclosure walkthrough)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """One kind of supporting document an enterprise may upload, with its group and labels."""

    code: str
    group: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class CategoryGroup:
    code: str
    label_zh: str
    label_en: str


GROUPS = {
    group.code: group
    for group in (
        CategoryGroup("corrective_action_plan", "整改方案", "Corrective Action Plan"),
        CategoryGroup("compliance", "合规文件", "Compliance documents"),
        CategoryGroup("pollutant", "污染物相关文件", "Pollutant"),
        CategoryGroup("other", "其他支持文件", "Other Supporting Document(s)"),
    )
}

CATEGORIES = {
    category.code: category
    for category in (
        Category("corrective_action_plan", "corrective_action_plan", "整改方案", "Corrective Action Plan"),
        Category("discharge_permit", "compliance", "排污许可证", "Discharge Permit"),
        Category("eia_report", "compliance", "环境影响评价报告", "EIA Report"),
        Category("eia_report_approval", "compliance", "环境影响评价批复", "EIA Report Approval"),
        Category(
            "three_synchronizations",
            "compliance",
            "环评“三同时”验收文件",
            '"Three synchronizations" requirement for EIAs',
        ),
        Category("emergency_plan", "compliance", "突发环境事件应急预案", "Emergency Plan(s)"),
        Category("testing_report", "pollutant", "检测报告", "Testing Report(s)"),
        Category("hazardous_waste", "pollutant", "危险废物相关文件", "Hazardous Waste Related Doc"),
        Category(
            "pollution_facility_operation_record",
            "pollutant",
            "污染治理设施运行记录",
            "Pollution Facility Operation Record(s)",
        ),
        Category("other", "other", "其他支持文件", "Other Supporting Document(s)"),
    )
}
