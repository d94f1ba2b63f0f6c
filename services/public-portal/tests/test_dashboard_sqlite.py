"""The responsiveness figures on SQLite, the embedded default: the same numbers as on PostgreSQL."""

from pathlib import Path

from portal_testing import client
from test_dashboard import fed, figures

from bluemap_portal.bootstrap import bootstrap
from bluemap_portal.settings import PortalSettings
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.runtime import running


async def test_figures_on_sqlite(tmp_path: Path) -> None:
    settings = PortalSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}", log_json=False)
    svc = bootstrap(settings, InProcessTransport())
    async with running(svc.runtime):
        ids = await fed(svc)
        async with client(svc.app) as api, client(svc.site) as site:
            whole = (await api.get("/v1/responsiveness")).json()
            page = await site.get("/dashboard")
            enterprise_page = await site.get(f"/enterprises/{ids['a']}", params={"lang": "en"})
    overall = whole["overall"]
    assert (overall["records"], overall["explained"], overall["median_days"], overall["p90_days"]) == (5, 3, 7, 8)
    assert (overall["overdue"], overall["median_review_days"]) == (2, 0)
    assert figures(whole["by_month"]) == {
        "2025-09": (1, 1, 7, 7, 0),
        "2025-11": (2, 1, 2, 2, 2),
        "2025-12": (2, 1, 8, 8, 0),
    }
    assert figures(whole["by_region"]) == {"11": (2, 1, 8, 8, 0), "61": (3, 2, 2, 7, 2)}
    assert page.status_code == 200
    assert "explains 2 of 3 records, median 2 working days" in enterprise_page.text
