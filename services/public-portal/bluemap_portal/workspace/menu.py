"""The workspace's menu ("My Green Choice") and the record types of Information Disclosure, in walkthrough order."""

from dataclasses import dataclass

from bluemap_portal.record_types import record_type
from bluemap_portal.site.i18n import N_, gettext


@dataclass(frozen=True)
class MenuItem:
    key: str
    path: str
    label: str
    description: str
    available: bool


MENU = (
    MenuItem(
        "account",
        "/workspace/account",
        N_("Account Management"),
        N_("Your enterprise's details and the email addresses registered for it."),
        True,
    ),
    MenuItem(
        "data-submission",
        "/workspace/data-submission",
        N_("Data Submission and Tracking"),
        N_("Submit environmental data (emissions, monitoring, PRTR) and track what you submitted."),
        False,
    ),
    MenuItem(
        "following",
        "/workspace/following",
        N_("Following"),
        N_("Follow suppliers and other enterprises and be told about their new records."),
        True,
    ),
    MenuItem(
        "gca-audit",
        "/workspace/gca-audit",
        N_("GCA Audit"),
        N_("Green Choice Alliance audits: plan them, upload the audit reports and follow their review."),
        False,
    ),
    MenuItem(
        "disclosure",
        "/workspace/disclosure",
        N_("Information Disclosure"),
        N_("Explain your records in public and upload documents about your corrective actions."),
        True,
    ),
    MenuItem(
        "training",
        "/workspace/training",
        N_("Training and Testing"),
        N_("Courses and tests on environmental information disclosure."),
        False,
    ),
)
MENU_BY_KEY = {item.key: item for item in MENU}

AUTOMATED_MONITORING = "automated_monitoring"
# The walkthrough lists these first; the other explainable types follow, real-time monitoring data last.
DISCLOSURE_TYPES = (
    "environmental_supervision",
    "rectification_order",
    "accident",
    "production_restriction",
    "performance_grading",
    "cleaner_production_audit",
    "environmental_credit_rating",
    "environmental_accident_risk",
    "safety_supervision",
    "inspection_report",
    AUTOMATED_MONITORING,
)
REAL_TIME_MONITORING = N_("Real-time Monitoring Data")


def type_label(code: str, lang: str) -> str:
    """A record type's name in the workspace; automated monitoring appears as real-time monitoring data."""
    if code == AUTOMATED_MONITORING:
        return gettext(lang, REAL_TIME_MONITORING)
    return record_type(code).label(lang)
