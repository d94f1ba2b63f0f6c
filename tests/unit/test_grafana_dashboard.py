"""The Grafana dashboard asks only for metrics the services export."""

import json
import re
from pathlib import Path
from types import SimpleNamespace

from bluemap_documents.submissions.metrics import register_render_metrics
from bluemap_notifications.emails.metrics import register_email_metrics
from bluemap_records.imports.service import Importer
from bluemap_shared.metrics import ServiceMetrics

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "bluemap-dashboard.json"


def exported() -> set[str]:
    """Every metric family a service registers, as Prometheus names it (counters without _total)."""
    names: set[str] = set()
    for service in ("records", "notifications", "documents"):
        metrics = ServiceMetrics(service)
        runtime = SimpleNamespace(metrics=metrics, sessionmaker=None)
        if service == "notifications":
            register_email_metrics(runtime)  # type: ignore[arg-type]
        if service == "documents":
            register_render_metrics(runtime)  # type: ignore[arg-type]
        if service == "records":
            Importer(None, None, tenant_id="t", created_by="u", filename=None, metrics=metrics)  # type: ignore[arg-type]
        names |= {family.name for family in metrics.registry.collect()}
    return names


def test_every_panel_queries_exported_metrics() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    asked = {
        re.sub(r"_(total|bucket|sum|count)$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"bluemap_[a-z_]+", target["expr"])
    }
    assert asked, "no panel queries a bluemap metric"
    assert asked <= exported(), f"not exported: {sorted(asked - exported())}"
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
