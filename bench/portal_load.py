"""The public portal's pages under load, next to a minimal FastAPI + jinja2 page (not a test).

    .venv/bin/python bench/portal_load.py                 # -c 64 -t 2 -d 30s, one round
    .venv/bin/python bench/portal_load.py --rounds 2 -d 30

1. A fresh PostgreSQL database (deploy/local/servers.sh), seeded through the portal's own event
   handlers (the consumer, as Kafka would deliver them) with one enterprise and 50 public records
   across categories: Chinese titles, authorities and summaries (bench/records_data.py), published
   explanations on some, public explanation PDFs and supporting documents on some, feedback; and
   OTHERS other enterprises with a few records each (search results, category listings, the writer's
   targets).
2. The portal as the distributed mode runs it: `python -m bluemap_portal serve` (uvicorn, one
   process, production settings, Kafka transport on a fresh namespace) on 127.0.0.1.
3. The baseline in the same run: a FastAPI app with one route rendering a small jinja2 template (no
   database), served by uvicorn.run with the same arguments as the services' command line.
4. wrk (apt package wrk 4.1.0) against each in turn, warm-up first: `wrk -c 64 -t 2 -d 30s --latency`.
   Requests/s, p50/p99 from wrk; the server process's CPU time per request from /proc; non-2xx and
   socket errors fail the run. Before loading, the enterprise page is fetched once and its records
   counted (must be 50). Measured in each round: the baseline; the cached enterprise page; the same
   while a writer process (the portal's own consumer, as another replica) commits a new record of
   another enterprise every 100 ms; with the page cache off, the enterprise page, a category page and
   a search page; a conditional GET (If-None-Match of the cached page) answered 304.

Prints a Markdown table and a JSON line.
"""

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.local_servers import create_database, drop_database, server_env  # noqa: E402

TENANT = "ipe"  # the portal's default tenant: the Host 127.0.0.1 maps to it
RECORDS = 50
OTHERS = 40  # other enterprises, ~5 records each
WRITE_EVERY = 0.1  # seconds between the writer's commits
CATEGORY = "automated_monitoring"  # a category of the enterprise's records (and some of the others')
SEARCH = "公司"  # a word most names hold: a full page of results
DOCUMENTS_BASE = "https://docs.example.org/api/documents"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


# --- wrk output ------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    """What `wrk --latency` reports: rate, latency percentiles in ms, requests, errors."""

    requests_per_second: float
    percentiles: dict[int, float]
    requests: int
    non_2xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def p50(self) -> float:
        return self.percentiles[50]

    @property
    def p99(self) -> float:
        return self.percentiles[99]

    @property
    def errors(self) -> int:
        """Failed requests: non-2xx/3xx answers, connect, read and write errors (timeouts are counted apart)."""
        return self.non_2xx + sum(n for kind, n in self.socket_errors.items() if kind != "timeout")

    @property
    def timeouts(self) -> int:
        return self.socket_errors.get("timeout", 0)


def duration_ms(text: str) -> float:
    """A wrk duration ("812.00us", "1.23ms", "2.01s", "1.00m") in milliseconds."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * UNITS[match[2]]


def parse_wrk(output: str) -> WrkResult:
    """Parse the output of `wrk --latency`; ValueError when a figure the benchmark needs is missing."""
    rate = re.search(r"^Requests/sec:\s+([0-9.]+)\s*$", output, re.MULTILINE)
    total = re.search(r"^\s*([0-9]+) requests in ", output, re.MULTILINE)
    distribution = output.partition("Latency Distribution")[2]
    percentiles = {
        int(p): duration_ms(value)
        for p, value in re.findall(r"^\s+([0-9]+)%\s+([0-9.]+[a-z]+)\s*$", distribution, re.MULTILINE)
    }
    if rate is None or total is None or not {50, 99} <= percentiles.keys():
        raise ValueError(f"not the output of wrk --latency:\n{output}")
    non_2xx = re.search(r"^\s*Non-2xx or 3xx responses:\s+([0-9]+)", output, re.MULTILINE)
    sockets = re.search(r"^\s*Socket errors:(.*)$", output, re.MULTILINE)
    return WrkResult(
        requests_per_second=float(rate[1]),
        percentiles=percentiles,
        requests=int(total[1]),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors={name: int(n) for name, n in re.findall(r"(\w+) ([0-9]+)", sockets[1])} if sockets else {},
    )


# --- the baseline ----------------------------------------------------------------------------------

BASELINE_TEMPLATE = """<!doctype html>
<html lang="zh-Hans">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<h1>{{ title }}</h1>
<ul>
{% for item in items %}  <li>{{ item.name }} · {{ item.year }}</li>
{% endfor %}</ul>
</body>
</html>
"""


def baseline_app() -> Any:
    """A minimal FastAPI + jinja2 page: one route, one small autoescaped template, no database."""
    from fastapi import FastAPI, Request
    from fastapi.responses import HTMLResponse
    from fastapi.templating import Jinja2Templates
    from jinja2 import DictLoader, Environment

    templates = Jinja2Templates(env=Environment(loader=DictLoader({"page.html": BASELINE_TEMPLATE}), autoescape=True))
    items = [{"name": f"环境监管记录 {n}", "year": 2015 + n} for n in range(10)]
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/page", response_class=HTMLResponse)
    async def page(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "page.html", {"title": "蓝色地图", "items": items})

    return app


def serve_baseline(port: int) -> None:
    """uvicorn.run with the arguments of bluemap_shared.cli.service_main."""
    import uvicorn

    uvicorn.run(baseline_app(), host="127.0.0.1", port=port, log_config=None, access_log=False)


# --- servers, database, seed -----------------------------------------------------------------------


EXPLANATION_SENTENCES = (
    "经自查，喷漆房废气收集处理设施因风机故障停运约六小时，期间未及时向生态环境部门报告。",
    "活性炭吸附装置未按设计频次更换，导致挥发性有机物去除效率下降。",
    "危险废物贮存场所防渗层局部破损，识别标志脱落，台账记录不完整。",
    "污水处理站在线监测设备故障期间，人工监测未按规定频次开展。",
    "企业环境管理制度执行不到位，环保专员岗位空缺两个月。",
    "生产负荷短时超出设计能力，末端治理设施处理能力不足。",
)
CORRECTIVE_SENTENCES = (
    "已更换风机并加装备用电源，废气处理设施恢复正常运行。",
    "已委托有资质单位更换全部活性炭，并建立更换台账，每月报送。",
    "已修复贮存场所防渗层，重新设置识别标志，完善危险废物管理台账。",
    "已加装在线监控并与生态环境部门联网，故障时两小时内报告。",
    "已任命专职环保负责人，组织全员环保培训并纳入绩效考核。",
    "已调整生产计划，限定负荷不超过设计能力的百分之九十。",
)
POLLUTANTS = (("二氧化硫", "200"), ("氮氧化物", "300"), ("颗粒物", "30"), ("化学需氧量", "100"))
CATEGORIES = ("discharge_permit", "corrective_action_plan", "testing_report", "eia_approval", "hazardous_waste")


def paragraph(rng: random.Random, sentences: tuple[str, ...], low: int, high: int) -> str:
    return "".join(rng.sample(sentences, rng.randint(low, high)))


def seed_events(rng: random.Random) -> tuple[uuid.UUID, list[Any]]:
    """One enterprise with RECORDS records across categories; explanations, PDFs and documents on some."""
    sys.path.insert(0, str(REPO / "bench"))
    from records_data import rows

    from bluemap_portal.clock import china_today
    from bluemap_shared.events.catalog import (
        DocumentPublished,
        EnterpriseRegistered,
        EnterpriseSnapshot,
        ExplanationPublished,
        MonitoringDetails,
        PdfRendered,
        RecordPublished,
        RecordStatusChanged,
    )

    lines = list(rows(RECORDS, 1, seed=20261128))
    first = lines[0]
    enterprise_id = uuid.uuid4()
    company = EnterpriseSnapshot(
        enterprise_id=enterprise_id,
        uscc=first[0],
        name=first[1],
        name_en="Xi'an Yongan Xingqing Door Industry Co., Ltd.",
        region_code=first[3],
    )
    today = china_today()
    now = datetime.now(UTC)
    events: list[Any] = [EnterpriseRegistered(enterprise=company)]
    explained: list[RecordPublished] = []
    for n, line in enumerate(lines):
        explainable = n % 5 != 4  # four in five are asked to explain
        issued_on = date(int(line[6]), 1, 1) + timedelta(days=rng.randrange(360))
        record = RecordPublished(
            record_id=uuid.uuid4(),
            enterprise=company,
            record_type=line[5] if n % 4 else "automated_monitoring",
            explainable=explainable,
            year=int(line[6]),
            source_title=line[7],
            issuing_authority=line[8],
            issued_on=issued_on,
            source_url=line[10],
            summary=line[11],
            published_at=now - timedelta(days=RECORDS - n),
            # Some overdue, some still open.
            explanation_due_on=today + timedelta(days=rng.randint(-60, 30)) if explainable else None,
        )
        events.append(record)
        if explainable and n % 3 == 0:
            explained.append(record)
    for n, record in enumerate(explained):
        submission_id = uuid.uuid4()
        published_at = now - timedelta(days=len(explained) - n, hours=3)
        start = datetime(record.year, 5, 1, 8, 0, tzinfo=UTC)
        pollutant, limit = POLLUTANTS[n % len(POLLUTANTS)]
        events.append(
            ExplanationPublished(
                explanation_id=uuid.uuid4(),
                submission_id=submission_id,
                record_id=record.record_id,
                enterprise_id=enterprise_id,
                violation=paragraph(rng, EXPLANATION_SENTENCES, 1, 2),
                reasons=paragraph(rng, EXPLANATION_SENTENCES, 2, 4),
                corrective_actions=paragraph(rng, CORRECTIVE_SENTENCES, 2, 5),
                monitoring=MonitoringDetails(
                    pollutant=pollutant,
                    measured_value=str(int(limit) * 3 // 2),
                    limit_value=limit,
                    unit="mg/m³",
                    period_start=start,
                    period_end=start + timedelta(hours=1),
                )
                if record.record_type == "automated_monitoring"
                else None,
                reviewed_by="reviewer-1",
                published_at=published_at,
            )
        )
        events.append(
            RecordStatusChanged(
                record_id=record.record_id,
                enterprise_id=enterprise_id,
                previous_status="awaiting_explanation",
                status="explained",
                changed_at=published_at,
            )
        )
        if n % 2 == 0:  # the public explanation PDF, and the enterprise's signed scan of it
            code = uuid.uuid4().hex + uuid.uuid4().hex
            events.append(
                PdfRendered(
                    document_id=uuid.uuid4(),
                    submission_id=submission_id,
                    enterprise_id=enterprise_id,
                    language="zh",
                    document_number=f"BM-{record.year}-{n + 1:06d}",
                    verification_code=code,
                    filename="公开说明.pdf",
                    size=180_000 + n * 1000,
                    sha256=code,
                    download_url="https://docs.example.org/dl/capability",
                    download_expires_at=now + timedelta(days=1),
                    rendered_at=published_at - timedelta(hours=1),
                )
            )
            events.append(
                DocumentPublished(
                    document_id=uuid.uuid4(),
                    enterprise_id=enterprise_id,
                    kind="signed-explanation",
                    record_ids=[record.record_id],
                    submission_id=submission_id,
                    filename="签章公开说明.pdf",
                    content_type="application/pdf",
                    size=420_000 + n * 1000,
                    sha256=code,
                    reviewed_by="reviewer-1",
                    published_at=published_at + timedelta(hours=1),
                )
            )
    for n, category in enumerate(CATEGORIES):
        linked = [r.record_id for r in explained[n::4]][:3]
        events.append(
            DocumentPublished(
                document_id=uuid.uuid4(),
                enterprise_id=enterprise_id,
                kind="supporting",
                category=category,
                record_ids=linked,
                filename=f"{['排污许可证', '整改方案', '检测报告', '环评批复', '危险废物转移联单'][n]}.pdf",
                content_type="application/pdf",
                size=250_000 * (n + 1),
                sha256=uuid.uuid4().hex * 2,
                reviewed_by="reviewer-1",
                published_at=now - timedelta(days=n + 1),
            )
        )
    return enterprise_id, events


def other_enterprises() -> tuple[list[Any], list[Any]]:
    """OTHERS enterprises with their records (registrations first): snapshots and events."""
    from records_data import rows

    from bluemap_shared.events.catalog import EnterpriseRegistered, EnterpriseSnapshot, RecordPublished

    snapshots: dict[str, EnterpriseSnapshot] = {}
    records: list[Any] = []
    now = datetime.now(UTC)
    for n, line in enumerate(rows(OTHERS * 5, OTHERS, seed=20261207)):
        if line[0] not in snapshots:
            snapshots[line[0]] = EnterpriseSnapshot(
                enterprise_id=uuid.uuid4(), uscc=line[0], name=line[1], name_en=line[2] or None, region_code=line[3]
            )
        records.append(
            RecordPublished(
                record_id=uuid.uuid4(),
                enterprise=snapshots[line[0]],
                record_type=line[5] if n % 4 else CATEGORY,
                explainable=False,
                year=int(line[6]),
                source_title=line[7],
                issuing_authority=line[8],
                issued_on=date(int(line[6]), 3, 1),
                source_url=line[10],
                summary=line[11],
                published_at=now - timedelta(days=n),
            )
        )
    others = list(snapshots.values())
    return others, [EnterpriseRegistered(enterprise=s) for s in others] + records


async def seed(database_url: str, rng: random.Random) -> tuple[uuid.UUID, list[Any]]:
    """Migrate the portal's database and feed it the events through its own consumer; the enterprise's id and
    the other enterprises' snapshots."""
    from bluemap_portal.bootstrap import bootstrap
    from bluemap_portal.settings import PortalSettings
    from bluemap_shared.events.envelope import Envelope
    from bluemap_shared.messaging.transport import InProcessTransport
    from bluemap_shared.runtime import running

    enterprise_id, events = seed_events(rng)
    others, other_events = other_enterprises()
    events += other_events
    service = bootstrap(PortalSettings(database_url=database_url, log_json=False), InProcessTransport())
    async with running(service.runtime):
        for event in events:
            message = Envelope(
                data=event, tenant_id=TENANT, source="/bluemap/bench", subject=event.subject(), time=datetime.now(UTC)
            ).to_message()
            await service.runtime.consumer.process(message)
    return enterprise_id, others


async def write_records(database_url: str, others: list[Any], seconds: float) -> int:
    """As another replica: every WRITE_EVERY a new record of one of the other enterprises, through the consumer."""
    from bluemap_portal.bootstrap import bootstrap
    from bluemap_portal.settings import PortalSettings
    from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished
    from bluemap_shared.events.envelope import Envelope
    from bluemap_shared.messaging.transport import InProcessTransport
    from bluemap_shared.runtime import running

    snapshots = [EnterpriseSnapshot.model_validate(o) for o in others]
    rng = random.Random(7)
    service = bootstrap(PortalSettings(database_url=database_url, log_json=False), InProcessTransport())
    commits = 0
    async with running(service.runtime):
        deadline = time.monotonic() + seconds
        next_at = time.monotonic()
        while time.monotonic() < deadline:
            company = rng.choice(snapshots)
            event = RecordPublished(
                record_id=uuid.uuid4(),
                enterprise=company,
                record_type="environmental_supervision",
                explainable=True,
                year=2026,
                source_title=f"关于开展大气污染防治专项检查的通知（第{commits + 1}号）",
                issuing_authority="西安市生态环境局",
                issued_on=date(2026, 11, 1),
                published_at=datetime.now(UTC),
                explanation_due_on=date(2026, 12, 31),
            )
            message = Envelope(
                data=event, tenant_id=TENANT, source="/bluemap/bench", subject=event.subject(), time=datetime.now(UTC)
            ).to_message()
            await service.runtime.consumer.process(message)
            commits += 1
            next_at += WRITE_EVERY
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    return commits


# --- processes and measurement ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its reaped children) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wait_ready(process: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} not ready after {timeout}s:\n{log.read_text()[-3000:]}")


@contextmanager
def started(args: list[str], env: dict[str, str], ready_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        wait_ready(process, ready_url, log)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Measurement:
    name: str
    wrk: WrkResult
    cpu_ms_per_request: float
    load_before: str
    load_after: str


def run_wrk(
    url: str, *, connections: int, threads: int, seconds: int, headers: dict[str, str] | None = None
) -> WrkResult:
    if not url.startswith("http://127.0.0.1:"):
        raise SystemExit("only 127.0.0.1 targets")
    extra = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(
        [
            "wrk",
            "-c",
            str(connections),
            "-t",
            str(threads),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            *extra,
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = parse_wrk(out)
    if result.errors:
        raise SystemExit(f"{url}: {result.non_2xx} non-2xx responses, socket errors {result.socket_errors}\n{out}")
    return result


def measure(
    name: str, pid: int, url: str, args: argparse.Namespace, headers: dict[str, str] | None = None
) -> Measurement:
    load_before = load_average()
    cpu_before = cpu_seconds(pid)
    result = run_wrk(url, connections=args.connections, threads=args.threads, seconds=args.duration, headers=headers)
    cpu = cpu_seconds(pid) - cpu_before
    return Measurement(name, result, cpu * 1000 / result.requests, load_before, load_average())


def count_records(html: str) -> int:
    """The record rows of the enterprise page."""
    return len(re.findall(r'<tr id="record-[0-9a-f-]{36}">', html))


# --- report ----------------------------------------------------------------------------------------


BASELINE = "baseline: FastAPI + jinja2, one small template"
PORTAL = f"portal: enterprise page, {RECORDS} records"
WRITING = f"portal: enterprise page while another replica commits every {WRITE_EVERY * 1000:.0f} ms"
UNCACHED = f"portal, page cache off: enterprise page, {RECORDS} records"
UNCACHED_CATEGORY = f"portal, page cache off: category page ({CATEGORY})"
UNCACHED_SEARCH = f"portal, page cache off: search page (q={SEARCH})"
CONDITIONAL = "portal: conditional GET of the enterprise page, 304"
# What each figure is compared with, the target for that ratio and for its p99 (ms).
TARGETS: dict[str, tuple[str, float, float | None]] = {
    PORTAL: (BASELINE, 0.5, 100.0),
    WRITING: (PORTAL, 0.8, None),
    UNCACHED: (BASELINE, 0.15, 250.0),
    UNCACHED_CATEGORY: (BASELINE, 0.1, None),
    UNCACHED_SEARCH: (BASELINE, 0.1, None),
    CONDITIONAL: (BASELINE, 1.0, None),
}


def report(
    rounds: list[list[Measurement]],
    args: argparse.Namespace,
    page_bytes: int,
    commits: list[int],
    writer_cpu: list[float],
) -> str:
    lines = [
        f"`.venv/bin/python bench/portal_load.py -c {args.connections} -t {args.threads} -d {args.duration}"
        f" --rounds {args.rounds}`",
        "",
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()};"
        f" enterprise page {page_bytes:,} bytes with {RECORDS} records; writer commits per round: {commits},"
        f" its CPU seconds (start-up included, on the same CPUs): {writer_cpu}",
        "",
        "| round | what | load avg before → after | requests/s | p50 | p99 | timeouts | server CPU per request |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, measured in enumerate(rounds, 1):
        for m in measured:
            lines.append(
                f"| {n} | {m.name} | {m.load_before} → {m.load_after} | {m.wrk.requests_per_second:,.0f} |"
                f" {m.wrk.p50:.1f} ms | {m.wrk.p99:.1f} ms | {m.wrk.timeouts} | {m.cpu_ms_per_request:.2f} ms |"
            )
    lines += [
        "",
        "| round | what | requests/s ratio | target | p99 | p99 target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for n, measured in enumerate(rounds, 1):
        by_name = {m.name: m for m in measured}
        for m in measured:
            if m.name not in TARGETS:
                continue
            basis, target, p99_target = TARGETS[m.name]
            ratio = m.wrk.requests_per_second / by_name[basis].wrk.requests_per_second
            met = ratio >= target and (p99_target is None or m.wrk.p99 < p99_target)
            lines.append(
                f"| {n} | {m.name} | **{ratio:.2f}** of {'the baseline' if basis == BASELINE else 'the cached page'} |"
                f" ≥ {target} | {m.wrk.p99:.1f} ms | {f'< {p99_target:.0f} ms' if p99_target else '—'} |"
                f" {'yes' if met else '**no**'} |"
            )
    return "\n".join(lines)


async def prepare_database(servers: dict[str, str], name: str, rng: random.Random) -> tuple[str, uuid.UUID, list[Any]]:
    url = await create_database(servers["BLUEMAP_PG_DSN"], name)
    enterprise_id, others = await seed(url, rng)
    return url, enterprise_id, others


def check_page(url: str) -> int:
    """Fetch the enterprise page once: HTTP 200 with every record, else the run stops. Its size."""
    import httpx

    page = httpx.get(url, timeout=10)
    found = count_records(page.text)
    if page.status_code != 200 or found != RECORDS:
        raise SystemExit(f"{url}: HTTP {page.status_code}, {found} records (want {RECORDS})")
    return len(page.content)


def check_listing(url: str, holds: str) -> None:
    """Fetch a listing once: HTTP 200 showing holds, else the run stops."""
    import httpx

    page = httpx.get(url, timeout=10)
    if page.status_code != 200 or holds not in page.text:
        raise SystemExit(f"{url}: HTTP {page.status_code}, without {holds!r}")


def conditional_headers(url: str) -> dict[str, str]:
    """The If-None-Match that the page's ETag answers 304 (checked once)."""
    import httpx

    etag = httpx.get(url, timeout=10).headers["etag"]
    headers = {"If-None-Match": etag}
    answer = httpx.get(url, headers=headers, timeout=10)
    if answer.status_code != 304:
        raise SystemExit(f"{url}: HTTP {answer.status_code} to If-None-Match {etag}, want 304")
    return headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--connections", type=int, default=64)
    parser.add_argument("-t", "--threads", type=int, default=2)
    parser.add_argument("-d", "--duration", type=int, default=30, help="seconds of each measured wrk run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of the warm-up wrk run of each server")
    parser.add_argument("--rounds", type=int, default=1, help="every measurement, this many times")
    parser.add_argument("--no-uncached", action="store_true", help="skip the portal with its page cache off")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--write", nargs=4, metavar=("URL", "OTHERS", "SECONDS", "COUNTED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return
    if args.write:
        from bluemap_shared.logging import configure_logging

        configure_logging("WARNING", False)
        url, others, seconds, counted = args.write
        commits = asyncio.run(write_records(url, json.loads(Path(others).read_text()), float(seconds)))
        Path(counted).write_text(f"{commits} {time.process_time():.2f}")
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (deploy/local/apt-packages.txt)")

    from bluemap_shared.logging import configure_logging

    configure_logging("WARNING", False)
    servers = server_env()
    run = uuid.uuid4().hex[:8]
    name = f"bench_portal_load_{run}"
    database_url, enterprise_id, others = asyncio.run(prepare_database(servers, name, random.Random(20261128)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLUEMAP_")} | {
        "BLUEMAP_PORTAL_ENVIRONMENT": "production",
        "BLUEMAP_PORTAL_ALLOW_LOOPBACK_PUBLIC_URLS": "true",  # served on 127.0.0.1 only
        "BLUEMAP_PORTAL_DATABASE_URL": database_url,
        "BLUEMAP_PORTAL_TRANSPORT": "kafka",
        "BLUEMAP_PORTAL_KAFKA_BOOTSTRAP": servers["BLUEMAP_KAFKA_BOOTSTRAP"],
        "BLUEMAP_PORTAL_KAFKA_NAMESPACE": f"bench-portal-{run}",
        "BLUEMAP_PORTAL_DOCUMENTS_PUBLIC_BASE_URL": DOCUMENTS_BASE,
    }
    workdir = Path(tempfile.mkdtemp(prefix="portal_load_"))
    others_file = workdir / "others.json"
    others_file.write_text(json.dumps([o.model_dump(mode="json") for o in others]))

    def portal(label: str, port: int, extra: dict[str, str]) -> Any:
        return started(
            [sys.executable, "-m", "bluemap_portal", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env | extra,
            f"http://127.0.0.1:{port}/api/public-portal/readyz",
            workdir / f"{label}.log",
        )

    def writing(n: int) -> subprocess.Popen[bytes]:
        """The writer for one measurement: it commits a little longer than wrk runs."""
        counted = workdir / f"commits-{n}"
        seconds = str(args.duration + 1)
        with (workdir / "writer.log").open("ab") as out:
            return subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--write",
                    database_url,
                    str(others_file),
                    seconds,
                    str(counted),
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )

    ports = {BASELINE: free_port(), PORTAL: free_port(), UNCACHED: free_port()}
    page = f"/enterprises/{enterprise_id}"
    urls = {
        BASELINE: f"http://127.0.0.1:{ports[BASELINE]}/page",
        PORTAL: f"http://127.0.0.1:{ports[PORTAL]}{page}",
        WRITING: f"http://127.0.0.1:{ports[PORTAL]}{page}",
        CONDITIONAL: f"http://127.0.0.1:{ports[PORTAL]}{page}",
        UNCACHED: f"http://127.0.0.1:{ports[UNCACHED]}{page}",
        UNCACHED_CATEGORY: f"http://127.0.0.1:{ports[UNCACHED]}/categories/{CATEGORY}",
        UNCACHED_SEARCH: f"http://127.0.0.1:{ports[UNCACHED]}/search?q={quote(SEARCH)}",
    }
    order = [BASELINE, PORTAL, WRITING, CONDITIONAL]
    if not args.no_uncached:
        order += [UNCACHED, UNCACHED_CATEGORY, UNCACHED_SEARCH]
    commits: list[int] = []
    writer_cpu: list[float] = []  # seconds of CPU the writer process used (start-up included), per round
    try:
        with ExitStack() as stack:
            pids = {
                BASELINE: stack.enter_context(
                    started(
                        [sys.executable, str(Path(__file__).resolve()), "--serve-baseline", str(ports[BASELINE])],
                        env,
                        urls[BASELINE],
                        workdir / "baseline.log",
                    )
                ).pid,
                PORTAL: stack.enter_context(portal("portal", ports[PORTAL], {})).pid,
            }
            pids[WRITING] = pids[CONDITIONAL] = pids[PORTAL]
            if not args.no_uncached:
                pids[UNCACHED] = stack.enter_context(
                    portal("uncached", ports[UNCACHED], {"BLUEMAP_PORTAL_PAGE_CACHE_SECONDS": "0"})
                ).pid
                pids[UNCACHED_CATEGORY] = pids[UNCACHED_SEARCH] = pids[UNCACHED]
                check_listing(urls[UNCACHED_CATEGORY], 'id="main"')
                check_listing(urls[UNCACHED_SEARCH], SEARCH)
            page_bytes = min(check_page(urls[what]) for what in (PORTAL, UNCACHED) if what in order)
            print(f"enterprise page: {page_bytes:,} bytes, {RECORDS} records", file=sys.stderr)
            headers = {CONDITIONAL: conditional_headers(urls[CONDITIONAL])}
            for what in order:
                if what != WRITING:
                    run_wrk(
                        urls[what],
                        connections=args.connections,
                        threads=args.threads,
                        seconds=args.warmup,
                        headers=headers.get(what),
                    )
            rounds = []
            for n in range(args.rounds):
                measured = []
                for what in order:
                    writer = writing(n) if what == WRITING else None
                    if writer is not None:
                        time.sleep(0.5)  # started and writing before wrk starts
                    measured.append(measure(what, pids[what], urls[what], args, headers.get(what)))
                    if writer is not None:
                        if writer.wait(timeout=60) != 0:
                            raise SystemExit(f"the writer failed:\n{(workdir / 'writer.log').read_text()[-3000:]}")
                        made, cpu = (workdir / f"commits-{n}").read_text().split()
                        commits.append(int(made))
                        writer_cpu.append(float(cpu))
                rounds.append(measured)
                print(f"round {n + 1}: {[(m.name, m.wrk.requests_per_second) for m in measured]}", file=sys.stderr)
        print(report(rounds, args, page_bytes, commits, writer_cpu))
        print(
            json.dumps(
                {
                    "cpus": os.cpu_count(),
                    "page_bytes": page_bytes,
                    "commits": commits,
                    "writer_cpu_seconds": writer_cpu,
                    "rounds": [[asdict(m) for m in r] for r in rounds],
                }
            )
        )
    finally:
        if not args.keep:
            asyncio.run(drop_database(servers["BLUEMAP_PG_DSN"], name))
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
