"""Send-to-email benchmark: N enterprises press Send Public Explanation at once on the distributed mode.

    bash deploy/local/servers.sh start
    .venv/bin/python bench/workflow_send_to_email.py            # 100 at once, then 10 one at a time
    .venv/bin/python bench/workflow_send_to_email.py -n 20      # quicker

The five services run as their own processes (tests/e2e/platform.py) on the local servers, with fresh
databases, a fresh Kafka namespace and a fresh bucket. Setup, not timed: N enterprises, each with one
to three records (three in ten automated-monitoring), a user, both commitments accepted and every
explanation saved in Chinese. Then all N Sends go out at once; for each, the time from its HTTP 201 to
its email with the PDF in Mailpit (Mailpit's receive time, same clock). Where the time went comes from
the services' own tables: when documents received the submission (its inbox), when the PDF was
rendered and stored, when notifications queued the email; the CPU time of each service process
over the burst comes from /proc, and so does that of the servers (PostgreSQL, Kafka, s3proxy,
Mailpit) and of the whole machine (/proc/stat): raw CPU per PDF over the machine's CPU per PDF is
the most the wall-clock ratio per core can be on these cores. The platform's CPU is the services',
their databases' PostgreSQL backends' (not other users' databases on the server) and the shared Kafka,
s3proxy and Mailpit's; what the platform spends at rest (measured for QUIET_SECONDS before the Sends) is
shown beside it, since on a shared machine a slower burst bills each PDF more idle time. The services
poll at their own defaults (PRODUCTION_POLLS; --e2e-polls keeps the test platform's faster loops).
After the burst, --paced more
enterprises send one at a time, each once the previous email arrived: the same stages without a
queue. Then, with the services stopped, raw WeasyPrint renders the burst's documents on one core:
each submission's HTML from the documents service's template (prepared outside the clock), timed
around `HTML(string=html).write_pdf()` only.
"""

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import weasyprint
from weasyprint import HTML

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.local_servers import create_database, drop_database, server_env  # noqa: E402
from bluemap_documents.submissions.rendering import PublicExplanation, public_explanation_html  # noqa: E402
from bluemap_records.uscc import check_digit  # noqa: E402
from bluemap_shared.events.catalog import ExplanationSubmitted  # noqa: E402
from tests.e2e.platform import SERVICES, Platform  # noqa: E402

TENANT = "ipe"
PDF_SUBJECT = "请签章并上传公开说明"
SUBMITTED = "org.bluemap.explanations.explanation-submitted.v1"
TIMEZONE = ZoneInfo("Asia/Shanghai")
SETUP_CONCURRENCY = 8
# Seconds the platform is watched at rest before the Sends.
QUIET_SECONDS = 10.0
# The services' own defaults for their polling loops: the e2e platform polls faster to keep tests
# short, which would bill the PDFs for a test setting (the digest closer looks 25 times as often).
PRODUCTION_POLLS = {
    "OUTBOX_POLL_INTERVAL": "1.0",
    "SEND_POLL_INTERVAL": "1.0",
    "DIGEST_POLL_INTERVAL": "5.0",
}

SOURCES = [
    ("关于对强化监督定点帮扶发现问题进行督办的函(西安)", "中华人民共和国生态环境部"),
    ("陕西省生态环境厅行政处罚决定书（陕环罚〔2020〕15号）", "陕西省生态环境厅"),
    ("西安市生态环境局责令改正违法行为决定书", "西安市生态环境局"),
    ("重点排污单位自动监测数据超标记录", "信用中国（陕西）"),
]
SENTENCES = [
    "喷漆房废气收集处理设施未正常运行，活性炭未按期更换。",
    "危险废物贮存场所未按规定设置识别标志，台账记录不完整。",
    "污水处理站在线监测设备故障期间未及时向生态环境部门报告。",
    "锅炉烟气脱硫设施运行不稳定，二氧化硫排放浓度短时超标。",
    "企业已成立整改工作领导小组，由总经理任组长，明确责任到人。",
    "已委托第三方检测机构开展全面排查，并按月公开检测报告。",
    "对相关责任人进行了通报批评，并组织全员环保法规培训。",
    "投资一百二十万元更新废气处理设备，整改已于本月底前完成。",
    "建立设备检修报备制度，今后检修期间提前向主管部门报告。",
]


async def create_databases(admin_dsn: str, run: str) -> dict[str, str]:
    """A fresh database per service, as SQLAlchemy asyncpg URLs."""
    return {s: await create_database(admin_dsn, f"bench_{s.replace('-', '_')}_{run}") for s in SERVICES}


async def drop_databases(admin_dsn: str, urls: dict[str, str]) -> None:
    for url in urls.values():
        await drop_database(admin_dsn, url.rpartition("/")[2])


def plain_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def new_uscc(rng: random.Random) -> str:
    first17 = "9161010" + "".join(rng.choice("0123456789") for _ in range(10))
    return first17 + check_digit(first17)


def sentences(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice(SENTENCES) for _ in range(rng.randint(low, high)))


@dataclass
class Sender:
    """One enterprise about to press Send, and what became of its Send."""

    index: int
    email: str
    headers: dict[str, str] = field(default_factory=dict)
    record_ids: list[str] = field(default_factory=list)
    pressed_at: float = 0.0
    sent_at: float = 0.0
    submission_id: str = ""


class Api:
    """The platform's APIs through one HTTP client."""

    def __init__(self, platform: Platform, client: httpx.AsyncClient) -> None:
        self.platform = platform
        self.client = client

    async def call(self, method: str, service: str, path: str, *, expect: int, **kwargs: Any) -> Any:
        response = await self.client.request(method, f"{self.platform.api(service)}{path}", **kwargs)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {service}{path}: {response.status_code} {response.text[:500]}")
        return response.json()

    async def token(self, email: str, password: str) -> dict[str, str]:
        body = await self.call(
            "POST",
            "records",
            "/v1/auth/token",
            expect=200,
            data={"username": email, "password": password, "tenant": TENANT},
        )
        return {"Authorization": f"Bearer {body['access_token']}"}


async def prepare(api: Api, admin: dict[str, str], sender: Sender, run: str) -> None:
    """An enterprise with one to three records, its user, both commitments accepted, every explanation saved."""
    rng = random.Random(sender.index)
    enterprise = await api.call(
        "POST",
        "records",
        "/v1/enterprises",
        expect=201,
        headers=admin,
        json={
            "uscc": new_uscc(rng),
            "name": f"陕西永安兴庆门业有限公司第{sender.index + 1}分厂",
            "region_code": "610100",
            "registered_emails": [sender.email],
        },
    )
    drafts = {}
    for _ in range(rng.randint(1, 3)):
        title, authority = rng.choice(SOURCES)
        monitored = rng.random() < 0.3
        record = await api.call(
            "POST",
            "records",
            "/v1/records",
            expect=201,
            headers=admin,
            json={
                "enterprise_id": enterprise["id"],
                "record_type": "automated_monitoring" if monitored else "environmental_supervision",
                "year": rng.choice([2019, 2020, 2021]),
                "source_title": title,
                "issuing_authority": authority,
                "issued_on": f"2020-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            },
        )
        drafts[record["id"]] = {
            "violation": sentences(rng, 1, 3),
            "reasons": sentences(rng, 1, 4),
            "corrective_actions": sentences(rng, 2, 8),
            "monitoring": {
                "pollutant": rng.choice(["二氧化硫", "氮氧化物", "化学需氧量", "氨氮"]),
                "measured_value": f"{rng.uniform(100, 300):.1f}",
                "limit_value": "100",
                "unit": "mg/m³",
                "period_start": "2020-03-01T10:00:00+08:00",
                "period_end": "2020-03-01T13:00:00+08:00",
            }
            if monitored
            else None,
        }
    sender.record_ids = list(drafts)
    password = f"bench-password-{run}"
    await api.call(
        "POST",
        "records",
        "/v1/users",
        expect=201,
        headers=admin,
        json={"email": sender.email, "password": password, "roles": ["enterprise"], "enterprise_id": enterprise["id"]},
    )
    sender.headers = await api.token(sender.email, password)
    await accept(api, sender, "accuracy")
    for record_id, draft in drafts.items():
        # 404 until RecordPublished reached the explanations service.
        for _ in range(600):
            response = await api.client.put(
                f"{api.platform.api('explanations')}/v1/records/{record_id}/explanation",
                headers=sender.headers,
                json=draft,
            )
            if response.status_code != 404:
                break
            await asyncio.sleep(0.2)
        if response.status_code != 200:
            raise RuntimeError(f"saving an explanation: {response.status_code} {response.text[:500]}")
    await accept(api, sender, "deadline")


async def accept(api: Api, sender: Sender, kind: str) -> None:
    commitment = await api.call("GET", "explanations", f"/v1/commitments/{kind}", expect=200, headers=sender.headers)
    await api.call(
        "POST",
        "explanations",
        f"/v1/commitments/{kind}/acceptances",
        expect=201,
        headers=sender.headers,
        json={"version": commitment["version"], "language": "zh"},
    )


async def send(api: Api, sender: Sender) -> None:
    sender.pressed_at = time.time()
    body = await api.call(
        "POST",
        "explanations",
        "/v1/submissions",
        expect=201,
        headers=sender.headers,
        json={"record_ids": sender.record_ids},
    )
    sender.sent_at = time.time()
    sender.submission_id = str(body["id"])


def instant(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


async def mailpit_arrivals(
    client: httpx.AsyncClient, mailpit: str, domain: str, subject: str, *, count: int, timeout: float
) -> dict[str, float]:
    """Address → Mailpit's receive time of the first message to it about `subject`, once `count` arrived."""
    deadline = time.monotonic() + timeout
    arrived: dict[str, float] = {}
    while time.monotonic() < deadline:
        response = await client.get(
            f"{mailpit}/api/v1/search", params={"query": f'to:{domain} subject:"{subject}"', "limit": 5000}
        )
        response.raise_for_status()
        for message in response.json().get("messages") or []:
            if subject in message["Subject"] and (subject != PDF_SUBJECT or message["Attachments"] >= 1):
                for to in message["To"]:
                    at = instant(message["Created"])
                    arrived[to["Address"]] = min(at, arrived.get(to["Address"], at))
        if len(arrived) >= count:
            return arrived
        # Arrival times are Mailpit's own: looking less often only costs the search less (Mailpit's CPU).
        await asyncio.sleep(1.0)
    raise RuntimeError(f"only {len(arrived)} of {count} emails about {subject!r} arrived within {timeout}s")


async def record_published_emails(client: httpx.AsyncClient, mailpit: str, domain: str, recipients: int) -> None:
    """Wait until every enterprise got its new-record email, so the Sends meet a quiet platform.

    New records are emailed as digests (one email per enterprise and quiet period, not one per record):
    what to wait for is an email to each address.
    """
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        response = await client.get(f"{mailpit}/api/v1/search", params={"query": f"to:{domain}", "limit": 5000})
        response.raise_for_status()
        reached = {to["Address"] for message in response.json().get("messages") or [] for to in message["To"]}
        if len(reached) >= recipients:
            return
        await asyncio.sleep(0.5)
    raise RuntimeError("the setup's emails did not all arrive")


async def fetch(dsn: str, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(plain_dsn(dsn))
    try:
        return list(await conn.fetch(query))
    finally:
        await conn.close()


@dataclass
class Timeline:
    """One submission's way from Send to the mailbox, in Unix seconds."""

    pressed: float  # the Send request went out
    sent: float  # its 201 arrived
    published: float  # explanations' relay had Kafka acknowledge ExplanationSubmitted
    received: float  # documents' consumer handled ExplanationSubmitted
    rendered: float  # PDF rendered, stored in S3, recorded
    queued: float  # notifications queued the email (PdfRendered handled)
    mailed: float  # Mailpit received it

    @property
    def latency(self) -> float:
        return self.mailed - self.sent

    @property
    def overhead(self) -> float:
        """Everything but waiting for and doing the render: the way to documents, then PdfRendered to the inbox."""
        return (self.received - self.sent) + (self.mailed - self.rendered)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, all its threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """The process's children, their children and so on (documents renders in grandchildren)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and every live descendant."""
    total = 0.0
    for each in [pid, *descendants(pid)]:
        with contextlib.suppress(OSError):  # ended meanwhile
            total += cpu_seconds(each)
    return total


def cpu_of(platform: Platform) -> dict[str, float]:
    """CPU seconds per service, its `relay` process (if apart) included."""
    cpu: dict[str, float] = {}
    for name, process in platform.processes.items():
        service = name.removesuffix(".relay")
        cpu[service] = cpu.get(service, 0.0) + tree_cpu_seconds(process.pid)
    return cpu


# The servers the platform runs on, by what their command lines hold.
SERVERS = {"PostgreSQL": "postgres", "Kafka": "kafka.Kafka", "s3proxy": "org.gaul.s3proxy.Main", "Mailpit": "mailpit"}


def server_processes() -> Iterator[tuple[str, int]]:
    """(server, pid) of each live process of the servers on this machine, PostgreSQL's backends included."""
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        for server, marker in SERVERS.items():
            if comm == marker or f" {marker} " in command:
                yield server, int(entry.name)
                break


def servers_cpu() -> dict[str, float]:
    """CPU seconds of the local servers' live processes, by server."""
    found = dict.fromkeys(SERVERS, 0.0)
    for server, pid in server_processes():
        with contextlib.suppress(OSError):  # ended meanwhile
            found[server] += cpu_seconds(pid)
    return found


async def backend_pids(admin_dsn: str, databases: dict[str, str]) -> list[int]:
    """PostgreSQL backends connected to this run's databases (other users' databases on the server left out)."""
    names = [url.rpartition("/")[2] for url in databases.values()]
    conn = await asyncpg.connect(admin_dsn)
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])", names)
    finally:
        await conn.close()
    return [r["pid"] for r in rows]


def backends_cpu(pids: Sequence[int]) -> dict[int, float]:
    """CPU seconds of each live backend."""
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError):  # ended meanwhile
            found[pid] = cpu_seconds(pid)
    return found


def pin(pid: int, cpus: set[int]) -> None:
    """Every thread of a process onto these CPUs (threads it starts later inherit them)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # ended meanwhile
            os.sched_setaffinity(int(task.name), cpus)


@contextmanager
def renders_apart(platform: Platform, cpus: int) -> Iterator[None]:
    """The rendering processes on the last `cpus` CPUs; the services, their servers and this client on the rest.

    As a deployment would give the render path cores of its own. Every process gets all CPUs back after.
    """
    every = sorted(os.sched_getaffinity(0))
    renders, others = set(every[-cpus:]), set(every[:-cpus])
    assert others, f"--renders-apart {cpus} leaves no CPU for the rest of the {len(every)}"
    pids = {os.getpid()} | {pid for _, pid in server_processes()}
    for process in platform.processes.values():
        pids |= {process.pid, *descendants(process.pid)}
    for pid in pids:
        with contextlib.suppress(OSError):
            # The documents service's rendering processes fork from its forkserver.
            rendering = b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
            pin(pid, renders if rendering else others)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(OSError):
                pin(pid, set(every))


@contextmanager
def profiled(platform: Platform, folder: Path | None, rate: int = 100) -> Iterator[None]:
    """py-spy samples every service process (documents with its rendering processes) while the block runs.

    Each profile is py-spy's raw format (one collapsed stack a line with its count) in `folder`, named by
    the process: `grep`/`sort` them, or load them into speedscope. Idle samples are left out, so the
    counts are CPU, not wall clock.
    """
    if folder is None:
        yield
        return
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    folder.mkdir(parents=True, exist_ok=True)
    samplers = [
        subprocess.Popen(
            [
                *(py_spy, "record", "--format", "raw", "--rate", str(rate), "--subprocesses", "--nonblocking"),
                *("--pid", str(process.pid), "--output", str(folder / f"{name}.txt")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, process in platform.processes.items()
    ]
    try:
        yield
    finally:
        for sampler in samplers:
            sampler.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
        for sampler in samplers:
            sampler.wait(timeout=60)


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy so far (/proc/stat: all but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def cpu_now(platform: Platform) -> dict[str, Any]:
    """CPU seconds so far: per service, per server, the whole machine's, this process's."""
    return {
        "cpu": cpu_of(platform),
        "servers_cpu": servers_cpu(),
        "machine_cpu": machine_busy_seconds(),
        "benchmark_cpu": time.process_time(),
    }


def cpu_spent(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What each cpu_now() figure grew by between two samples."""
    return {
        name: {k: v - before[name][k] for k, v in value.items()} if isinstance(value, dict) else value - before[name]
        for name, value in after.items()
    }


def backends_spent(before: dict[int, float], pids: Sequence[int]) -> float:
    """CPU seconds the backends spent since `before` (a backend that started meanwhile counts from zero)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in backends_cpu(pids).items())


def percentile(values: Sequence[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


@contextmanager
def platform_running(platform: Platform, documents_env: dict[str, str], *, e2e_polls: bool) -> Iterator[Platform]:
    """running_platform, with extra settings for the documents service, polling as deployed unless e2e_polls."""
    try:
        for service in SERVICES:
            _, prefix = SERVICES[service]
            extra = {} if e2e_polls else {prefix + name: value for name, value in PRODUCTION_POLLS.items()}
            if service == "documents":
                extra |= documents_env
            platform.start(service, extra_env=extra, wait=False)
        for service in SERVICES:
            platform.wait_ready(service)
        yield platform
    finally:
        platform.stop_all()


@dataclass
class Run:
    """What one run measured: the burst, the paced Sends after it, the burst's documents, the facts around."""

    burst: list[Timeline]
    paced: list[Timeline]
    documents: list[asyncpg.Record]
    portal_url: str
    facts: dict[str, Any]


async def timelines_of(
    databases: dict[str, str], senders: Sequence[Sender], arrivals: dict[str, float]
) -> list[Timeline]:
    """Each sender's way from Send to Mailpit, from the services' own tables."""
    outbox = await fetch(
        databases["explanations"],
        f"SELECT key, event_id, published_at FROM outbox_messages WHERE event_type = '{SUBMITTED}'",
    )
    submitted = {str(r["key"]): r["event_id"] for r in outbox}
    published = {str(r["key"]): r["published_at"].timestamp() for r in outbox}
    handled = {
        r["event_id"]: r["handled_at"].timestamp()
        for r in await fetch(
            databases["documents"], f"SELECT event_id, handled_at FROM inbox_messages WHERE event_type = '{SUBMITTED}'"
        )
    }
    rendered = {
        str(r["id"]): r["rendered_at"].timestamp()
        for r in await fetch(databases["documents"], "SELECT id, rendered_at FROM submissions")
    }
    queued = {
        str(r["cause_event_id"]): r["created_at"].timestamp()
        for r in await fetch(
            databases["notifications"],
            "SELECT cause_event_id, created_at FROM emails WHERE purpose = 'explanation-pdf'",
        )
    }
    return [
        Timeline(
            pressed=s.pressed_at,
            sent=s.sent_at,
            published=published[s.submission_id],
            received=handled[submitted[s.submission_id]],
            rendered=rendered[s.submission_id],
            queued=queued[s.submission_id],
            mailed=arrivals[s.email],
        )
        for s in senders
    ]


async def run_pipeline(
    n: int,
    paced: int,
    workdir: Path,
    documents_env: dict[str, str],
    relays_apart: frozenset[str],
    render_cpus: int,
    profile: Path | None = None,
    *,
    e2e_polls: bool = False,
) -> Run:
    servers = server_env()
    run = uuid.uuid4().hex[:8]
    databases = await create_databases(servers["BLUEMAP_PG_DSN"], run)
    platform_config = Platform(
        servers=servers,
        databases=databases,
        workdir=workdir,
        namespace=f"bench-{run}.",
        bucket=f"bench-{run}",
        relays_apart=relays_apart,
    )
    domain = f"{run}.bench.example.cn"
    mailpit = servers["BLUEMAP_MAILPIT_API"].rstrip("/")
    facts: dict[str, Any] = {"renders_apart": render_cpus}
    try:
        with platform_running(platform_config, documents_env, e2e_polls=e2e_polls) as running:
            limits = httpx.Limits(max_connections=n + 20, max_keepalive_connections=n + 20)
            async with httpx.AsyncClient(timeout=600, limits=limits) as client:
                api = Api(running, client)
                admin_email = f"admin@{domain}"
                running.create_user(
                    "--tenant", TENANT, "--email", admin_email, "--password", "bench-admin-pw", "--role", "admin"
                )
                admin = await api.token(admin_email, "bench-admin-pw")
                senders = [Sender(i, f"ehs{i:03d}@{domain}") for i in range(n + paced)]
                slots = asyncio.Semaphore(SETUP_CONCURRENCY)

                async def prepared(sender: Sender) -> None:
                    async with slots:
                        await prepare(api, admin, sender, run)

                started = time.monotonic()
                await asyncio.gather(*(prepared(s) for s in senders))
                await record_published_emails(client, mailpit, domain, len(senders))
                await asyncio.sleep(3)
                print(f"setup: {n + paced} enterprises ready in {time.monotonic() - started:.0f} s", file=sys.stderr)

                burst, one_by_one = senders[:n], senders[n:]
                apart = renders_apart(running, render_cpus) if render_cpus else contextlib.nullcontext()
                with apart, profiled(running, profile):
                    # The platform at rest, to tell its idle loops (polls, consumers' fetches) from the work.
                    quiet_backends = backends_cpu(await backend_pids(servers["BLUEMAP_PG_DSN"], databases))
                    quiet = cpu_now(running)
                    quiet_started = time.monotonic()
                    # Looking for emails as during the burst: Mailpit's searches are the benchmark's, not the PDFs'.
                    with contextlib.suppress(RuntimeError):
                        await mailpit_arrivals(client, mailpit, domain, PDF_SUBJECT, count=n + 1, timeout=QUIET_SECONDS)
                    quiet_seconds = time.monotonic() - quiet_started
                    facts["idle"] = cpu_spent(quiet, cpu_now(running))
                    facts["idle"]["database_cpu"] = backends_spent(
                        quiet_backends, await backend_pids(servers["BLUEMAP_PG_DSN"], databases)
                    )
                    facts["idle_seconds"] = quiet_seconds

                    facts["load_before"] = os.getloadavg()
                    before_backends = backends_cpu(await backend_pids(servers["BLUEMAP_PG_DSN"], databases))
                    before = cpu_now(running)
                    burst_started = time.monotonic()
                    await asyncio.gather(*(send(api, s) for s in burst))
                    print(f"{n} sent at once; waiting for their emails", file=sys.stderr)
                    arrivals = await mailpit_arrivals(
                        client, mailpit, domain, PDF_SUBJECT, count=n, timeout=60 + 10 * n
                    )
                    facts.update(cpu_spent(before, cpu_now(running)))
                    facts["burst_seconds"] = time.monotonic() - burst_started
                    facts["database_cpu"] = backends_spent(
                        before_backends, await backend_pids(servers["BLUEMAP_PG_DSN"], databases)
                    )
                    facts["load_after"] = os.getloadavg()

                    print(f"{paced} more, one at a time", file=sys.stderr)
                    for sender in one_by_one:
                        await send(api, sender)
                        arrivals |= await mailpit_arrivals(
                            client, mailpit, sender.email, PDF_SUBJECT, count=1, timeout=120
                        )

            burst_ids = {s.submission_id for s in burst}
            documents = [
                r
                for r in await fetch(
                    databases["documents"],
                    "SELECT id, tenant_id, event, document_number, verification_code FROM submissions",
                )
                if str(r["id"]) in burst_ids
            ]
            return Run(
                burst=await timelines_of(databases, burst, arrivals),
                paced=await timelines_of(databases, one_by_one, arrivals),
                documents=documents,
                portal_url=running.url("public-portal"),
                facts=facts,
            )
    finally:
        await drop_databases(servers["BLUEMAP_PG_DSN"], databases)


def raw_documents(rows: Sequence[asyncpg.Record], portal_url: str) -> list[str]:
    """Each submission's HTML, as the documents service renders it."""
    documents = []
    for row in rows:
        event = ExplanationSubmitted.model_validate(
            json.loads(row["event"]) if isinstance(row["event"], str) else row["event"]
        )
        code = row["verification_code"]
        document = PublicExplanation(
            row["tenant_id"], row["document_number"], code, f"{portal_url}/verify/{code}", TIMEZONE
        )
        documents.append(public_explanation_html(event, document))
    return documents


def raw_renders(documents: Sequence[str]) -> tuple[list[float], list[float]]:
    """write_pdf of each document in this process, one core: wall and CPU seconds of each."""
    HTML(string=documents[0]).write_pdf()  # fonts and caches loaded outside the clock
    wall, cpu = [], []
    for html in documents:
        started, started_cpu = time.perf_counter(), time.thread_time()
        HTML(string=html).write_pdf()
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return wall, cpu


def _warm_raw_process(html: str) -> None:
    HTML(string=html).write_pdf()


def _raw_write_pdf(html: str) -> int:
    return len(HTML(string=html).write_pdf())


def raw_parallel_rate(documents: Sequence[str], processes: int) -> float:
    """PDFs per second of write_pdf in `processes` processes at once (warmed up before the clock)."""
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(
        processes, mp_context=context, initializer=_warm_raw_process, initargs=(documents[0],)
    ) as pool:
        list(pool.map(int, range(processes * 4)))  # every process started and warm
        started = time.perf_counter()
        list(pool.map(_raw_write_pdf, documents))
        return len(documents) / (time.perf_counter() - started)


def report(run: Run, raw: list[float], raw_cpu: list[float], raw_parallel: float, options: str) -> str:
    facts, burst, n = run.facts, run.burst, len(run.burst)
    processes = facts["render_processes"]
    command = f"-n {n} --paced {len(run.paced)}{options}"
    first_sent = min(t.sent for t in burst)
    render_rate = n / (max(t.rendered for t in burst) - first_sent)
    email_rate = n / (max(t.mailed for t in burst) - first_sent)
    raw_rate = len(raw) / sum(raw)
    raw_cpu_per_pdf = sum(raw_cpu) / len(raw_cpu)
    cpu: dict[str, float] = facts["cpu"]
    documents_cpu_per_pdf = cpu["documents"] / n
    services_cpu_per_pdf = sum(cpu.values()) / n
    servers: dict[str, float] = facts["servers_cpu"]
    machine_cpu_per_pdf = facts["machine_cpu"] / n
    ms = 1000.0

    def row(label: str, values: list[float]) -> str:
        p50, p99, top = (percentile(values, 50), percentile(values, 99), max(values))
        return f"| {label} | {p50 * ms:.0f} ms | {p99 * ms:.0f} ms | {top * ms:.0f} ms |"

    def stages(timelines: list[Timeline]) -> list[str]:
        return [
            row("**latency: Send's 201 → email with the PDF in Mailpit**", [t.latency for t in timelines]),
            row("(the Send request itself, until its 201)", [t.sent - t.pressed for t in timelines]),
            row(
                "201 → documents handled ExplanationSubmitted (relay, Kafka, consumer)",
                [t.received - t.sent for t in timelines],
            ),
            row("  201 → published to Kafka (explanations' outbox relay)", [t.published - t.sent for t in timelines]),
            row("  published → handled by documents (Kafka, consumer)", [t.received - t.published for t in timelines]),
            row(
                "handled → PDF rendered and stored (render queue + render)",
                [t.rendered - t.received for t in timelines],
            ),
            row(
                "rendered → email queued by notifications (relay, Kafka, consumer)",
                [t.queued - t.rendered for t in timelines],
            ),
            row(
                "queued → in Mailpit (attachment fetched from documents, SMTP)",
                [t.mailed - t.queued for t in timelines],
            ),
            row("**overhead beyond the render** (latency − handled→rendered)", [t.overhead for t in timelines]),
        ]

    lines = [
        f"`.venv/bin/python bench/workflow_send_to_email.py {command}`",
        "",
        f"Python {platform.python_version()}, WeasyPrint {weasyprint.__version__}, {platform.platform()}, "
        f"{os.cpu_count()} CPUs; load average {facts['load_before'][0]:.1f} before the Sends, "
        f"{facts['load_after'][0]:.1f} after the burst's last email, {facts['load_raw'][0]:.1f} after the raw renders.",
        "",
        f"| {n} Sends at once, per submission | p50 | p99 | max |",
        "|---|---|---|---|",
        *stages(burst),
        "",
        "| throughput of the burst | result |",
        "|---|---|",
        f"| pipeline: PDFs rendered per second (first 201 → last PDF stored) | {render_rate:.2f} PDFs/s |",
        f"| pipeline: emails with the PDF per second (first 201 → last email) | {email_rate:.2f} /s |",
        f"| raw WeasyPrint write_pdf, same {len(raw)} documents, one core, services stopped | {raw_rate:.2f} PDFs/s "
        f"(p50 {percentile(raw, 50) * ms:.0f} ms, p99 {percentile(raw, 99) * ms:.0f} ms per PDF) |",
        f"| **ratio pipeline / raw per core, wall clock** (pipeline / {processes} render processes vs one core) "
        f"| **{render_rate / processes / raw_rate:.2f}** |",
        f"| raw WeasyPrint write_pdf in {processes} processes at once, same documents, services stopped "
        f"| {raw_parallel:.2f} PDFs/s |",
        f"| **ratio pipeline / raw on the same {processes} processes, wall clock** "
        f"| **{render_rate / raw_parallel:.2f}** |",
        f"| CPU per PDF: raw write_pdf | {raw_cpu_per_pdf * ms:.0f} ms |",
        f"| CPU per PDF: documents process (template, QR, render, gc, S3, DB, Kafka, serving the attachment) "
        f"| {documents_cpu_per_pdf * ms:.0f} ms |",
        f"| CPU per PDF: all five service processes | {services_cpu_per_pdf * ms:.0f} ms "
        f"({', '.join(f'{k} {v / n * ms:.0f}' for k, v in cpu.items())}) |",
        f"| **ratio raw / pipeline CPU per PDF: documents process; all five services** "
        f"| **{raw_cpu_per_pdf / documents_cpu_per_pdf:.2f}; {raw_cpu_per_pdf / services_cpu_per_pdf:.2f}** |",
        f"| CPU per PDF: the servers | {sum(servers.values()) / n * ms:.0f} ms "
        f"({', '.join(f'{k} {v / n * ms:.0f}' for k, v in servers.items())}) |",
        f"| CPU per PDF: this benchmark's own client (Sends, polling Mailpit) "
        f"| {facts['benchmark_cpu'] / n * ms:.0f} ms |",
        f"| CPU per PDF: the whole machine over the burst (all of the above and anything else running) "
        f"| {machine_cpu_per_pdf * ms:.0f} ms |",
    ]
    # The platform: the services, this run's databases' backends, the shared Kafka, s3proxy and Mailpit
    # (other users' work on those counts too). Not this client (the users' browsers); the whole machine
    # adds it and everyone else's work.
    shared_servers = {k: v for k, v in servers.items() if k != "PostgreSQL"}
    platform_parts = {
        "services": sum(cpu.values()),
        "its databases' backends": facts["database_cpu"],
        **shared_servers,
    }
    platform_cpu_per_pdf = sum(platform_parts.values()) / n
    beyond = platform_cpu_per_pdf - raw_cpu_per_pdf
    idle, idle_seconds = facts["idle"], facts["idle_seconds"]
    at_rest = (
        sum(idle["cpu"].values())
        + idle["database_cpu"]
        + sum(v for k, v in idle["servers_cpu"].items() if k != "PostgreSQL")
    ) / idle_seconds
    resting = at_rest * facts["burst_seconds"] / n
    lines += [
        f"| CPU per PDF: this run's databases' PostgreSQL backends (other databases left out) "
        f"| {facts['database_cpu'] / n * ms:.0f} ms |",
        f"| **CPU per PDF: the platform** ({', '.join(f'{k} {v / n * ms:.0f}' for k, v in platform_parts.items())}) "
        f"| **{platform_cpu_per_pdf * ms:.0f} ms** |",
        f"| **platform CPU per PDF beyond the raw render, over the raw render's** (target ≤ 0.35) "
        f"| **{beyond * ms:.0f} / {raw_cpu_per_pdf * ms:.0f} = {beyond / raw_cpu_per_pdf:.2f}** |",
        f"| of the platform's CPU per PDF, what it spends at rest ({at_rest * ms:.0f} ms a second when idle "
        f"× the burst's {facts['burst_seconds']:.1f} s / {n}) | {resting * ms:.0f} ms "
        f"({', '.join(f'{k} {v / idle_seconds * ms:.0f}' for k, v in idle['cpu'].items())} ms/s) |",
        f"| **the same, net of the platform at rest** "
        f"| **{(beyond - resting) * ms:.0f} / {raw_cpu_per_pdf * ms:.0f} "
        f"= {(beyond - resting) / raw_cpu_per_pdf:.2f}** |",
    ]
    if not facts["renders_apart"]:
        lines += [
            f"| **most the wall ratio per core can be with every core shared: raw / whole-machine CPU per PDF** "
            f"| **{raw_cpu_per_pdf / machine_cpu_per_pdf:.2f}** |",
        ]
    if run.paced:
        lines += [
            "",
            f"| then {len(run.paced)} Sends one at a time, per submission | p50 | p99 | max |",
            "|---|---|---|---|",
        ]
        lines += stages(run.paced)
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=100, help="enterprises sending at once")
    parser.add_argument("--paced", type=int, default=10, help="enterprises sending one at a time after the burst")
    parser.add_argument(
        "--render-concurrency",
        type=int,
        default=None,
        help="the documents service's render_concurrency (default: its own, the CPU count)",
    )
    parser.add_argument(
        "--render-isolation",
        choices=["process", "thread"],
        default=None,
        help="the documents service's render_isolation (default: its own, process)",
    )
    parser.add_argument(
        "--render-niceness", type=int, default=None, help="the documents service's render_niceness (default: its own)"
    )
    parser.add_argument(
        "--relays-apart",
        default="explanations",
        help="services whose outbox a `relay` process publishes, comma-separated, '' for none "
        "(default: explanations, as docker-compose.yml deploys it)",
    )
    parser.add_argument(
        "--renders-apart",
        type=int,
        default=0,
        metavar="CPUS",
        help="pin the rendering processes to the last CPUS CPUs and everything else to the others, as a deployment "
        "gives the render path cores of its own (sets --render-concurrency to CPUS unless given)",
    )
    parser.add_argument("--timelines", type=Path, help="also write each submission's timeline here (JSON)")
    parser.add_argument(
        "--e2e-polls",
        action="store_true",
        help="keep the e2e platform's fast polling loops (as runs before 2026-12-08) instead of the services' defaults",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="sample every service process with py-spy during the burst (its CPU then counts in the figures)",
    )
    args = parser.parse_args()
    documents_env: dict[str, str] = {}
    options = ""
    if args.renders_apart:
        options += f" --renders-apart {args.renders_apart}"
        args.render_concurrency = args.render_concurrency or args.renders_apart
    if args.render_concurrency is not None:
        documents_env["BLUEMAP_DOCUMENTS_RENDER_CONCURRENCY"] = str(args.render_concurrency)
        options += f" --render-concurrency {args.render_concurrency}"
    if args.render_isolation is not None:
        documents_env["BLUEMAP_DOCUMENTS_RENDER_ISOLATION"] = args.render_isolation
        options += f" --render-isolation {args.render_isolation}"
    if args.render_niceness is not None:
        documents_env["BLUEMAP_DOCUMENTS_RENDER_NICENESS"] = str(args.render_niceness)
        options += f" --render-niceness {args.render_niceness}"
    if args.e2e_polls:
        options += " --e2e-polls"
    if args.relays_apart != "explanations":
        options += f" --relays-apart '{args.relays_apart}'"
    # Threads render on one core at most (the GIL); processes on as many as render_concurrency.
    concurrency = args.render_concurrency or os.cpu_count() or 1
    processes = 1 if args.render_isolation == "thread" else concurrency
    with tempfile.TemporaryDirectory(prefix="bench-workflow-") as tmp:
        relays_apart = frozenset(filter(None, args.relays_apart.split(",")))
        run = await run_pipeline(
            args.n,
            args.paced,
            Path(tmp),
            documents_env,
            relays_apart,
            args.renders_apart,
            args.profile,
            e2e_polls=args.e2e_polls,
        )
    run.facts["render_processes"] = processes
    print("services stopped; raw WeasyPrint on the burst's documents", file=sys.stderr)
    documents = raw_documents(run.documents, run.portal_url)
    raw, raw_cpu = raw_renders(documents)
    raw_parallel = raw_parallel_rate(documents, processes)
    run.facts["load_raw"] = os.getloadavg()
    print(report(run, raw, raw_cpu, raw_parallel, options))
    if args.timelines:
        origin = min(t.pressed for t in run.burst)
        args.timelines.write_text(
            json.dumps(
                {
                    "burst": [{k: round(v - origin, 3) for k, v in vars(t).items()} for t in run.burst],
                    "paced": [{k: round(v - origin, 3) for k, v in vars(t).items()} for t in run.paced],
                    "raw_write_pdf_seconds": raw,
                    "raw_cpu_seconds": raw_cpu,
                    "raw_parallel_pdfs_per_second": raw_parallel,
                    "facts": run.facts,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    asyncio.run(main())
