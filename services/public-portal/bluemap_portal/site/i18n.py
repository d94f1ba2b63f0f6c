"""The site's words in Chinese (default) and English."""

from datetime import date

LANGUAGES = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "html_lang": "zh-Hans",
        "site_name": "蔚蓝地图 · 企业环境信息公开",
        "home": "首页",
        "nav_label": "主导航",
        "other_lang": "English",
        "other_lang_code": "en",
        "search_label": "企业名称或统一社会信用代码",
        "search_button": "搜索",
        "search_results": "搜索结果",
        "recent": "最近更新的企业",
        "no_results": "没有找到符合条件的企业。",
        "no_enterprises": "暂无企业。",
        "name": "企业名称",
        "name_en": "英文名称",
        "uscc": "统一社会信用代码",
        "region": "行政区划代码",
        "records": "政府记录",
        "no_records": "暂无公开记录。",
        "source_title": "来源",
        "year": "年份",
        "issuing_authority": "发布机关",
        "issued_on": "发布日期",
        "status": "状态",
        "deadline": "说明截止日期",
        "summary": "摘要",
        "source_link": "原文",
        "not_found_title": "未找到",
        "not_found": "没有找到该企业或页面。",
        "bad_request_title": "请求有误",
        "bad_request": "请求参数有误。",
        "error_title": "服务暂不可用",
        "error": "服务暂时无法处理请求，请稍后再试。",
        "back_home": "返回首页",
        "api_docs": "各服务的 API 文档",
        "about": "蔚蓝地图数据库收集整理政府发布的企业环境监管记录，企业可就相关记录公开说明情况及整改措施。",
    },
    "en": {
        "html_lang": "en",
        "site_name": "Blue Map · Enterprise Environmental Disclosure",
        "home": "Home",
        "nav_label": "Main navigation",
        "other_lang": "中文",
        "other_lang_code": "zh-Hans",
        "search_label": "Enterprise name or Unified Social Credit Code",
        "search_button": "Search",
        "search_results": "Search results",
        "recent": "Recently updated enterprises",
        "no_results": "No enterprise matches.",
        "no_enterprises": "No enterprises yet.",
        "name": "Name",
        "name_en": "English name",
        "uscc": "Unified Social Credit Code",
        "region": "Administrative division code",
        "records": "Government records",
        "no_records": "No public records.",
        "source_title": "Source",
        "year": "Year",
        "issuing_authority": "Issuing authority",
        "issued_on": "Issued on",
        "status": "Status",
        "deadline": "Explanation due by",
        "summary": "Summary",
        "source_link": "Original",
        "not_found_title": "Not found",
        "not_found": "There is no such enterprise or page.",
        "bad_request_title": "Bad request",
        "bad_request": "The request's parameters are not valid.",
        "error_title": "Service unavailable",
        "error": "The service cannot answer right now; please try again later.",
        "back_home": "Back to the home page",
        "api_docs": "API documentation of each service",
        "about": (
            "The Blue Map Database collects government records about enterprises; enterprises can publicly "
            "explain them and disclose their corrective actions."
        ),
    },
}

STATUS: dict[str, dict[str, str]] = {
    "awaiting_explanation": {"zh": "待企业说明", "en": "Awaiting explanation"},
    "published": {"zh": "已公开", "en": "Published"},
}


def language(value: str | None) -> str:
    """The page language: English when asked for, else Chinese."""
    return "en" if value == "en" else "zh"


def status_label(status: str, lang: str) -> str:
    return STATUS.get(status, {}).get(lang, status)


def format_date(value: date | None, lang: str) -> str:
    if value is None:
        return "—"
    return value.isoformat() if lang == "en" else f"{value.year}年{value.month}月{value.day}日"


def record_count(count: int, lang: str) -> str:
    if lang == "en":
        return f"{count} record" if count == 1 else f"{count} records"
    return f"{count} 条"
