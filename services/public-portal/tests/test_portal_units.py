"""Pure portal logic: grouping records by type, tenants by host, words by language."""

import asyncio
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from bluemap_portal.records.models import PortalRecord
from bluemap_portal.records.service import group_by_type
from bluemap_portal.site.i18n import format_date, language, status_label
from bluemap_portal.site.rendering import is_web_url
from bluemap_portal.tenancy import host_name, tenant_for_host
from bluemap_shared.events.catalog import TenantProfile
from bluemap_shared.tenants import TenantDirectory, TenantSuspendedProblem, UnknownHost


def record(record_type: str, issued_on: date, title: str = "t") -> PortalRecord:
    return PortalRecord(
        id=uuid4(),
        tenant_id="ipe",
        enterprise_id=uuid4(),
        record_type=record_type,
        year=issued_on.year,
        source_title=title,
        issuing_authority="a",
        issued_on=issued_on,
        status="published",
        published_at=datetime.now(UTC),
    )


def test_groups_follow_the_catalogue_order_and_keep_record_order() -> None:
    records = [
        record("emissions_data", date(2021, 1, 1), "e1"),
        record("environmental_supervision", date(2022, 5, 1), "s-new"),
        record("zzz_future_type", date(2020, 1, 1), "z"),
        record("rectification_order", date(2021, 3, 1), "r"),
        record("environmental_supervision", date(2020, 2, 20), "s-old"),
    ]
    groups = group_by_type(records)
    assert [g.record_type for g in groups] == [
        "environmental_supervision",
        "rectification_order",
        "emissions_data",
        "zzz_future_type",
    ]
    assert [r.source_title for r in groups[0].records] == ["s-new", "s-old"]
    assert (groups[0].label_zh, groups[0].label_en) == ("环境监管记录", "Environmental Supervision Records")
    assert (groups[2].label_zh, groups[2].label_en) == ("排放数据", "Emissions Data")
    assert groups[3].label_zh == "zzz_future_type"


def test_no_records_no_groups() -> None:
    assert group_by_type([]) == []


def test_the_host_names_the_tenant_unknown_ones_are_404_suspended_ones_503() -> None:
    def profile(tenant_id: str, hosts: list[str], status: str = "active") -> TenantProfile:
        return TenantProfile.model_validate(
            {
                "tenant_id": tenant_id,
                "name_zh": tenant_id,
                "name_en": tenant_id,
                "hostnames": hosts,
                "mail_sender_name": tenant_id,
                "mail_sender_address": f"noreply@{tenant_id}.example.org",
                "status": status,
                "version": 1,
            }
        )

    async def loaded() -> list[TenantProfile]:
        return [
            profile("ipe", ["map.ipe.org.cn"]),
            profile("demo", ["demo.example.org"]),
            profile("off", ["off.org"], "suspended"),
        ]

    async def nothing() -> list[TenantProfile]:
        return []

    async def check() -> None:
        directory = TenantDirectory(loaded)
        assert (await tenant_for_host("demo.example.org", directory, default="ipe"))[0] == "demo"
        assert (await tenant_for_host("DEMO.example.org:8443", directory, default="ipe"))[0] == "demo"
        with pytest.raises(UnknownHost):
            await tenant_for_host("elsewhere.example", directory, default="ipe")
        with pytest.raises(UnknownHost):
            await tenant_for_host(None, directory, default="ipe")
        with pytest.raises(TenantSuspendedProblem):
            await tenant_for_host("off.org", directory, default="ipe")
        # A portal that knows no tenant yet (before the registry's first event) serves its default one.
        assert await tenant_for_host("anything.example", TenantDirectory(nothing), default="x") == ("x", None)

    asyncio.run(check())
    assert host_name("[::1]:8000") == "[::1]"
    assert host_name("127.0.0.1:8000") == "127.0.0.1"


def test_language_defaults_to_chinese() -> None:
    assert language(None) == "zh"
    assert language("en") == "en"
    assert language("fr") == "zh"


def test_dates_and_statuses_per_language() -> None:
    assert format_date(date(2020, 2, 20), "zh") == "2020年2月20日"
    assert format_date(date(2020, 2, 20), "en") == "Feb 20, 2020"
    assert format_date(None, "en") == "—"
    assert status_label("awaiting_explanation", "zh") == "待企业说明"
    assert status_label("awaiting_explanation", "en") == "Awaiting explanation"
    assert status_label("resolved", "en") == "Resolved"
    assert status_label("some_future_status", "en") == "some_future_status"


def test_only_web_urls_are_links() -> None:
    assert is_web_url("https://www.mee.gov.cn/x")
    assert is_web_url("HTTP://example.org")
    assert not is_web_url("javascript:alert(1)")
    assert not is_web_url(None)
