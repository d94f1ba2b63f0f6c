"""`python -m bluemap_records import FILE --tenant T`: the import on the command line, with a progress bar."""

import argparse
import asyncio
import gc
import getpass
import sys
import time
from pathlib import Path
from typing import TextIO
from uuid import UUID

import orjson

from bluemap_records.bootstrap import bootstrap
from bluemap_records.imports.export import error_lines, errors_header
from bluemap_records.imports.parsing import FileProblem, ImportFile
from bluemap_records.imports.repository import ImportRepository
from bluemap_records.imports.service import Importer
from bluemap_records.settings import RecordsSettings
from bluemap_shared.logging import configure_logging

ERRORS_SHOWN = 20


class ProgressBar:
    """A one-line bar on a terminal (redrawn at most 5 times a second); occasional lines elsewhere."""

    WIDTH = 30

    def __init__(self, total_bytes: int, out: TextIO, *, enabled: bool) -> None:
        self.total = max(total_bytes, 1)
        self.out = out
        self.enabled = enabled
        self.tty = out.isatty()
        self.started = time.monotonic()
        self._drawn = 0.0

    def update(self, importer: Importer, *, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not final and now - self._drawn < (0.2 if self.tty else 10.0):
            return
        self._drawn = now
        done = min(importer.source.bytes_read / self.total, 1.0)
        elapsed = max(now - self.started, 1e-6)
        counts = importer.counts
        rate = counts.rows / elapsed
        eta = elapsed * (1 - done) / done if 0 < done < 1 else 0.0
        filled = int(self.WIDTH * done)
        line = (
            f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {done:6.1%}  {counts.rows:,} rows  {rate:,.0f} rows/s  "
            f"created {counts.created:,} updated {counts.updated:,} unchanged {counts.unchanged:,} "
            f"rejected {counts.rejected:,}  {'ETA ' + _clock(eta) if not final else _clock(elapsed)}"
        )
        if self.tty:
            self.out.write("\r" + line + ("\n" if final else "\x1b[K"))
        else:
            self.out.write(line + "\n")
        self.out.flush()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bluemap-records import",
        description="Import records (import format v1: CSV or JSON Lines) into a tenant, as POST /v1/imports does.",
    )
    parser.add_argument("file", type=Path)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--encoding", help="utf-8 or gb18030 (gbk); detected when left out")
    parser.add_argument("--format", choices=["csv", "jsonl"], help="else by file name or content")
    parser.add_argument("--errors-csv", type=Path, help="write the rejected rows there, as CSV")
    parser.add_argument("--batch-size", type=int, help="rows per transaction (settings: import_batch_size)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return parser


async def run_import(argv: list[str], settings: RecordsSettings | None = None) -> int:
    """Run an import; 0 when it completed (rejected rows included), 1 when it failed, 2 for a refused file."""
    args = _parser().parse_args(argv)
    service = bootstrap(settings)
    runtime = service.runtime
    records_settings = service.runtime.settings
    assert isinstance(records_settings, RecordsSettings)
    configure_logging(records_settings.log_level, records_settings.log_json)  # on stderr: stdout is the summary
    try:
        await runtime.migrate()
        gc.freeze()  # see bootstrap._freeze_startup_objects
        # A batch allocates some hundred thousand short-lived objects, hardly any in a cycle; this
        # process does nothing else, so collect seldom (as the reader process does).
        gc.set_threshold(100_000, 50, 100)
        try:
            source = await asyncio.to_thread(ImportFile.open, args.file, encoding=args.encoding, format=args.format)
        except (FileProblem, OSError) as exc:
            print(f"bluemap-records import: {args.file}: {exc}", file=sys.stderr)
            return 2
        bar = ProgressBar(source.size, sys.stderr, enabled=not args.no_progress)
        importer = Importer(
            runtime.sessionmaker,
            source,
            tenant_id=args.tenant,
            created_by=f"cli:{getpass.getuser()}",
            filename=args.file.name,
            batch_size=args.batch_size or records_settings.import_batch_size,
            on_progress=bar.update,
        )
        import_id = await importer.begin()
        await importer.run()
        bar.update(importer, final=True)
        async with runtime.sessionmaker() as session:
            repository = ImportRepository(session)
            outcome = await repository.get(args.tenant, import_id)
            assert outcome is not None
            first = await repository.rejections(args.tenant, import_id, after_line=0, limit=ERRORS_SHOWN)
            if args.errors_csv is not None:
                await _write_errors(repository, args.tenant, import_id, list(outcome.header), args.errors_csv)
        summary = outcome.model_dump(mode="json", exclude={"header"})
        summary["errors"] = [
            {"line": r.line, "column": p["column"] or None, "reason": p["reason"]} for r in first for p in r.problems
        ]
        print(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
        return 0 if outcome.status == "completed" else 1
    finally:
        await runtime.engine.dispose()


async def _write_errors(
    repository: ImportRepository, tenant_id: str, import_id: UUID, header: list[str], path: Path
) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(errors_header(header))
        after = 0
        while page := await repository.rejections(tenant_id, import_id, after_line=after, limit=1000):
            out.writelines(error_lines(page))
            after = page[-1].line
