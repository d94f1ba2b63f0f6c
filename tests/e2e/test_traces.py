"""One trace from an enterprise's Send through explanations, the bus, the documents render and the notifications email.

The embedded default runs in this process (uvicorn on a free port), so the SDK's in-memory exporter
sees every service's spans; each service has its own tracer provider and service.name.
"""

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
import uvicorn
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bluemap_embedded.app import EmbeddedConfig, build
from bluemap_shared.testing import eventually
from bluemap_shared.tracing import add_span_processor, remove_span_processor
from tests.e2e import workflow_steps as steps
from tests.e2e.platform import free_port
from tests.e2e.workflow_steps import Deployment, MaildirInbox

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

ENTERPRISE_LOGIN = ("ehs@yongan-xingqing.example.cn", "bluemap-enterprise-demo")


@pytest.fixture
async def traced_embedded(tmp_path: Path) -> AsyncIterator[tuple[Deployment, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    add_span_processor(processor)  # before build: the services' providers are made there
    config = EmbeddedConfig(data_dir=tmp_path, port=free_port(), smtp_port=free_port())
    server = uvicorn.Server(uvicorn.Config(build(config), host="127.0.0.1", port=config.port, log_config=None))
    serving = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: _started(server), timeout=120)
        apis = {s: f"{config.base_url}/api/{s}" for s in ("records", "explanations", "documents", "notifications")}
        yield Deployment(apis=apis, site=config.base_url, inbox=MaildirInbox(tmp_path / "mail")), exporter
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=60)
        remove_span_processor(processor)


async def _started(server: uvicorn.Server) -> bool:
    return server.started


def _service(span: ReadableSpan) -> str:
    return str(span.resource.attributes["service.name"])


def span_tree(spans: Sequence[ReadableSpan]) -> str:
    """The spans of one trace as an indented tree: `service: name`."""
    children: dict[int | None, list[ReadableSpan]] = defaultdict(list)
    ids = {span.context.span_id for span in spans}
    for span in sorted(spans, key=lambda s: s.start_time or 0):
        parent = span.parent.span_id if span.parent is not None and span.parent.span_id in ids else None
        children[parent].append(span)
    lines: list[str] = []

    def walk(parent: int | None, depth: int) -> None:
        for span in children[parent]:
            lines.append(f"{'  ' * depth}{_service(span)}: {span.name}")
            walk(span.context.span_id, depth + 1)

    walk(None, 0)
    return "\n".join(lines)


async def test_a_send_is_one_trace_across_the_services(
    traced_embedded: tuple[Deployment, InMemorySpanExporter],
) -> None:
    deployment, exporter = traced_embedded
    staff = await steps.sign_in(deployment, *ENTERPRISE_LOGIN)
    record_ids = [str(r["record_id"]) for r in await steps.records_to_explain(staff, 2)][:2]
    await steps.accept_commitment(staff, "accuracy")
    for record_id, draft in zip(record_ids, steps.EXPLANATIONS, strict=True):
        await steps.save_explanation(staff, record_id, draft)
    await steps.accept_commitment(staff, "deadline")
    sent = await steps.send(staff, record_ids)
    assert sent.status_code == 201, sent.text
    trace_id = int(sent.headers["traceparent"].split("-")[1], 16)

    def of_the_send() -> list[ReadableSpan]:
        return [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]

    async def emailed() -> list[ReadableSpan] | None:
        spans = of_the_send()
        return spans if any(s.name == "send email" for s in spans) else None

    spans = await eventually(emailed, timeout=120)
    tree = span_tree(spans)
    without_sql = span_tree([s for s in spans if s.kind.name != "CLIENT"])
    print(f"\nspan tree of the Send (SQL statements left out):\n{without_sql}")
    names = {(_service(s), s.name) for s in spans}
    assert ("bluemap-explanations", "POST /v1/submissions") in {(svc, n.split(" http")[0]) for svc, n in names}
    assert ("bluemap-documents", "process org.bluemap.explanations.explanation-submitted.v1") in names
    assert ("bluemap-documents", "render pdf") in names
    assert ("bluemap-notifications", "process org.bluemap.documents.pdf-rendered.v1") in names
    assert ("bluemap-notifications", "send email") in names
    # Database statements of the services are spans of the same trace (SQLAlchemy instrumentation).
    assert {_service(s) for s in spans if s.attributes and s.attributes.get("db.system") == "sqlite"} == {
        "bluemap-explanations",
        "bluemap-records",
        "bluemap-documents",
        "bluemap-notifications",
        "bluemap-public-portal",
    }
    # Every span but the Send's own request hangs under another span of the trace: one tree, no orphans.
    roots = [s for s in spans if s.parent is None or s.parent.span_id not in {x.context.span_id for x in spans}]
    assert len(roots) == 1, tree
