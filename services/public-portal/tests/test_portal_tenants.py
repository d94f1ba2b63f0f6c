"""Tenants on the public portal: the host picks the tenant, its copy of the registry changes without a restart."""

from uuid import uuid4

import pytest
from portal_testing import (
    NAME,
    Start,
    client,
    envelope,
    feed,
    published,
    registered,
    snapshot,
    tenant_configured,
    tenant_suspended,
)

from bluemap_portal.site.page_cache import PageCache
from bluemap_shared.problems import PROBLEM_JSON


@pytest.mark.integration
async def test_a_host_no_tenant_claims_answers_404_on_site_and_api(start: Start) -> None:
    async with start(page_cache_seconds=60) as svc:
        async with client(svc.site, host="nobody.example.org") as site:
            for path in ("/", "/categories", "/login"):
                response = await site.get(path)
                assert response.status_code == 404, path
                assert response.headers["content-type"] == PROBLEM_JSON
                assert response.json()["type"].endswith("/unknown-host")
        async with client(svc.app, host="nobody.example.org") as api:
            response = await api.get("/v1/enterprises")
            assert response.status_code == 404
            assert response.headers["content-type"] == PROBLEM_JSON


@pytest.mark.integration
async def test_a_suspended_tenant_answers_503_until_configured_again_without_a_restart(start: Start) -> None:
    enterprise_id = uuid4()
    async with start(page_cache_seconds=60) as svc:
        await feed(svc, envelope(registered(snapshot(enterprise_id)), tenant="demo"))
        async with (
            client(svc.site, host="demo.example.org") as demo,
            client(svc.site) as ipe,
            client(svc.app, host="demo.example.org") as demo_api,
        ):
            assert (await demo.get(f"/enterprises/{enterprise_id}")).status_code == 200  # cached from now on
            await feed(svc, tenant_suspended("demo", version=2))
            for response in (await demo.get(f"/enterprises/{enterprise_id}"), await demo_api.get("/v1/enterprises")):
                assert response.status_code == 503
                assert response.headers["content-type"] == PROBLEM_JSON
                assert response.json()["type"].endswith("/tenant-suspended")
            assert (await ipe.get("/")).status_code == 200  # the other tenant goes on

            # Redelivered or overtaken, an older version never brings the tenant back.
            await feed(svc, tenant_configured("demo", version=1))
            assert (await demo.get("/")).status_code == 503
            await feed(svc, tenant_configured("demo", version=3))
            assert (await demo.get(f"/enterprises/{enterprise_id}")).status_code == 200
            assert (await demo_api.get("/v1/enterprises")).status_code == 200


@pytest.mark.integration
async def test_pages_and_feeds_carry_the_tenants_name_and_follow_its_changes(start: Start) -> None:
    enterprise_id = uuid4()
    async with start(page_cache_seconds=60) as svc:
        company = snapshot(enterprise_id)
        await feed(svc, envelope(registered(company), tenant="demo"), envelope(published(company), tenant="demo"))
        async with client(svc.site, host="demo.example.org") as demo, client(svc.site) as ipe:
            home = (await demo.get("/?lang=zh")).text
            assert "demo 环境信息公开" in home
            assert "DEMO Environmental Disclosure" in (await demo.get("/?lang=en")).text
            assert "ipe 环境信息公开" in (await ipe.get("/")).text
            atom = (await demo.get(f"/enterprises/{enterprise_id}/feed.atom?lang=zh")).text
            assert f"{NAME} · demo 环境信息公开" in atom

            await feed(svc, tenant_configured("demo", version=2, name_zh="绿色江河<b>", hostnames=["demo.example.org"]))
            home = (await demo.get("/?lang=zh")).text
            assert "绿色江河&lt;b&gt;" in home  # the cached page dropped; the name is data, escaped
            assert "<b>" not in home.split("<main", 1)[0]
            assert "绿色江河&lt;b&gt;" in (await demo.get(f"/enterprises/{enterprise_id}/feed.atom?lang=zh")).text

            # Its brand colour comes in a stylesheet of its own (the CSP allows no inline style).
            assert '/brand.css?c=0b5cab"' in home
            await feed(
                svc, tenant_configured("demo", version=3, brand_colour="#2E7D32", hostnames=["demo.example.org"])
            )
            home = (await demo.get("/?lang=zh")).text
            link = home.split('<link rel="stylesheet" href="', 3)[2].split('"', 1)[0]
            assert link == "/brand.css?c=2e7d32"
            css = await demo.get(link)
            assert css.headers["content-type"].startswith("text/css")
            assert "--brand: #2e7d32" in css.text.lower()

            # Hosts move with the registry too: the old one is nobody's now.
            await feed(svc, tenant_configured("demo", version=4, hostnames=["green.example.org"]))
            assert (await demo.get("/")).status_code == 404
            async with client(svc.site, host="green.example.org") as moved:
                assert (await moved.get(f"/enterprises/{enterprise_id}")).status_code == 200


def test_a_notice_dropping_every_page_has_the_tenants_read_again() -> None:
    """Another replica's tenant change arrives as such a notice; pages must not be rendered from old settings."""
    cache = PageCache(60.0)
    dropped: list[str] = []
    cache.on_drop_everything.append(lambda: dropped.append("tenants"))
    cache.invalidate(["enterprise:ipe:1"])
    assert dropped == []
    cache.invalidate(None)
    assert dropped == ["tenants"]
