"""PDF pipeline benchmark: the documents service's renderer against raw WeasyPrint on the same HTML.

    .venv/bin/python bench/pdf_pipeline.py            # 100 submissions
    .venv/bin/python bench/pdf_pipeline.py -n 20      # quicker

Throughput: one process renders N realistic Chinese submissions twice, interleaved in blocks of ten
so warm-up and drift hit both alike: (a) through render_public_explanation, the service's whole
pipeline (template, QR code, WeasyPrint, gc.collect()); (b) raw HTML(string=...).write_pdf() on the
HTML (a) rendered, prepared outside the clock. Also (c) the async PdfRenderer at its default
concurrency (render_concurrency = CPU count), as the render loop uses it.
Memory: two fresh processes render the same N submissions in a loop, one through the service's
pipeline (gc.collect() after each render) and one with raw WeasyPrint and no explicit collection;
each reports its peak RSS (VmHWM).
"""

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from weasyprint import HTML

from bluemap_documents.submissions.canonical import canonical_content, document_number, verification_code
from bluemap_documents.submissions.rendering import (
    PdfRenderer,
    PublicExplanation,
    public_explanation_html,
    render_public_explanation,
)
from bluemap_shared.events.catalog import (
    CommitmentReference,
    EnterpriseSnapshot,
    ExplanationSubmitted,
    MonitoringDetails,
    SubmittedExplanation,
)

BLOCK = 10
TIMEZONE = ZoneInfo("Asia/Shanghai")
ENTERPRISES = [
    ("陕西永安兴庆门业有限公司", "Shaanxi Yong'an Xingqing Door Industry Co., Ltd."),
    ("西安市灞桥区热电有限责任公司", None),
    ("咸阳华润纺织印染有限公司", "Xianyang CR Textile Dyeing Co., Ltd."),
    ("宝鸡市渭滨区金属表面处理厂", None),
]
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


def sentences(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice(SENTENCES) for _ in range(rng.randint(low, high)))


def submission(index: int) -> ExplanationSubmitted:
    """A realistic Send: one to four records, some with monitoring details, both commitments."""
    rng = random.Random(index)
    name, name_en = ENTERPRISES[index % len(ENTERPRISES)]
    accepted = datetime(2026, 3, 2, 6, 5, tzinfo=UTC)
    explanations = []
    for record in range(rng.randint(1, 4)):
        title, authority = rng.choice(SOURCES)
        monitored = rng.random() < 0.3
        explanations.append(
            SubmittedExplanation(
                explanation_id=UUID(int=index * 100 + record),
                record_id=UUID(int=10**9 + index * 100 + record),
                record_type="automated_monitoring" if monitored else "environmental_supervision",
                year=rng.choice([2019, 2020, 2021]),
                source_title=title,
                issuing_authority=authority,
                issued_on=date(2020, 1, 1) + timedelta(days=rng.randint(0, 700)),
                violation=sentences(rng, 1, 3),
                reasons=sentences(rng, 1, 4),
                corrective_actions=sentences(rng, 2, 8),
                monitoring=MonitoringDetails(
                    pollutant=rng.choice(["二氧化硫", "氮氧化物", "化学需氧量", "氨氮"]),
                    measured_value=f"{rng.uniform(100, 300):.1f}",
                    limit_value="100",
                    unit="mg/m³",
                    period_start=datetime(2020, 3, 1, 2, tzinfo=UTC),
                    period_end=datetime(2020, 3, 1, 5, tzinfo=UTC),
                )
                if monitored
                else None,
            )
        )
    texts = {
        "accuracy": "我们保证所提供的信息真实准确，并知悉相关信息将向社会公开。",
        "deadline": "我们通过蔚蓝地图数据库跟踪自身环境表现。"
        "如出现新的违规记录，我们承诺在10个工作日内采取整改措施并作出公开说明。",
    }
    return ExplanationSubmitted(
        submission_id=UUID(int=2 * 10**9 + index),
        enterprise=EnterpriseSnapshot(
            enterprise_id=UUID(int=3 * 10**9 + index % len(ENTERPRISES)),
            uscc="91610100MA6TG7XQ3K",
            name=name,
            name_en=name_en,
        ),
        language="zh",
        explanations=explanations,
        commitments=[
            CommitmentReference(
                kind=kind,  # type: ignore[arg-type]
                version=1,
                language="zh",
                text=text,
                text_sha256="0" * 64,
                accepted_by="bench",
                accepted_at=accepted,
            )
            for kind, text in texts.items()
        ],
        submitted_by="bench",
        submitted_at=accepted,
    )


def document_of(event: ExplanationSubmitted) -> PublicExplanation:
    """What the service computes before rendering: number, verification code, verify URL."""
    number = document_number("ipe", event.submission_id, event.submitted_at.astimezone(TIMEZONE).date())
    code = verification_code(canonical_content(event, number))
    return PublicExplanation("ipe", number, code, f"http://127.0.0.1:8000/verify/{code}", TIMEZONE)


def ours(event: ExplanationSubmitted) -> bytes:
    """The service's pipeline for one submission, including what it computes before rendering."""
    return render_public_explanation(event, document_of(event)).data


def raw(html: str) -> bytes:
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def throughput(count: int) -> dict[str, float]:
    events = [submission(i) for i in range(count)]
    htmls = [public_explanation_html(event, document_of(event)) for event in events]
    for event, html in zip(events[:3], htmls[:3], strict=True):  # warm-up: fonts, caches
        ours(event)
        raw(html)
    timings = {"ours": 0.0, "raw": 0.0}
    pages = 0
    for start in range(0, count, BLOCK):
        block = range(start, min(start + BLOCK, count))
        began = time.perf_counter()
        for i in block:
            ours(events[i])
        timings["ours"] += time.perf_counter() - began
        began = time.perf_counter()
        for i in block:
            raw(htmls[i])
        timings["raw"] += time.perf_counter() - began
    for html in htmls[:5]:
        pages += len(HTML(string=html).render().pages)

    async def concurrent() -> float:
        renderer = PdfRenderer(os.cpu_count() or 1)
        began = time.perf_counter()
        await asyncio.gather(*(renderer.render(event, document_of(event)) for event in events))
        return time.perf_counter() - began

    concurrent_seconds = asyncio.run(concurrent())
    return {
        "n": count,
        "pages_per_pdf": pages / 5,
        "ours_pdfs_per_s": count / timings["ours"],
        "raw_pdfs_per_s": count / timings["raw"],
        "ratio": timings["raw"] / timings["ours"],
        "concurrent_pdfs_per_s": count / concurrent_seconds,
        "concurrency": float(os.cpu_count() or 1),
    }


def vm_hwm_mb() -> float:
    """This process's peak RSS. Not ru_maxrss: Linux carries that over from the parent across fork and exec."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_child(count: int, collect: bool) -> None:
    """Render count PDFs in a loop, through the service's pipeline or raw without collections; print peak RSS."""
    for i in range(count):
        event = submission(i)
        if collect:
            ours(event)
        else:
            raw(public_explanation_html(event, document_of(event)))
    print(json.dumps({"peak_rss_mb": vm_hwm_mb()}))


def peak_rss(count: int, collect: bool) -> float:
    result = subprocess.run(
        [sys.executable, __file__, "--memory-child", "gc" if collect else "no-gc", "-n", str(count)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(result.stdout.strip().splitlines()[-1])["peak_rss_mb"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=100, help="submissions to render (default 100)")
    parser.add_argument("--memory-child", choices=["gc", "no-gc"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.n, args.memory_child == "gc")
        return
    result = throughput(args.n)
    result["peak_rss_mb_with_gc"] = peak_rss(args.n, True)
    result["peak_rss_mb_without_gc"] = peak_rss(args.n, False)
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{result['n']:.0f} Chinese submissions, {result['pages_per_pdf']:.1f} pages per PDF on average")
    print(f"ours (template + QR + WeasyPrint + gc.collect): {result['ours_pdfs_per_s']:.2f} PDFs/s")
    print(f"raw WeasyPrint on the same HTML:                {result['raw_pdfs_per_s']:.2f} PDFs/s")
    print(f"ratio ours/raw:                                  {result['ratio']:.2f} (target >= 0.80)")
    print(
        f"PdfRenderer, concurrency {result['concurrency']:.0f}:                 "
        f"{result['concurrent_pdfs_per_s']:.2f} PDFs/s"
    )
    print(f"peak RSS, gc.collect() after each render:      {result['peak_rss_mb_with_gc']:.0f} MB")
    print(f"peak RSS, without:                              {result['peak_rss_mb_without_gc']:.0f} MB")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
