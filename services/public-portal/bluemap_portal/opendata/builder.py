"""The open-data files of each tenant, made again when their data changed: CSV and JSON Lines, gzip-compressed.

A pass fingerprints each dataset of each tenant (a count and the latest change times, one cheap
aggregate) and rebuilds only the datasets whose fingerprint moved since their files were made;
unchanged data gives identical files (rows in id order), so checksums stay put. Rows stream from a
server-side cursor into the files in partitions, written from a worker thread: memory stays flat
whatever the dataset's size. Files are written aside and renamed into place, then the tenant's
manifest (what the Data page and the catalog list) is replaced the same way. Each portal replica
keeps its own copy under <data_dir>/open-data; they converge on the same bytes.
"""

import asyncio
import contextlib
import csv
import gzip
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO
from uuid import UUID

import structlog
from sqlalchemy import select

from bluemap_portal.opendata.dictionary import DATASETS, ENTERPRISES, FORMATS, Dataset
from bluemap_shared.db import SessionMaker, utcnow

log = structlog.get_logger()

# Rows fetched and written together.
PARTITION = 2000
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class DatasetFile:
    """One file of a dataset as the Data page lists it."""

    dataset: str
    format: str
    name: str
    rows: int
    bytes: int
    sha256: str
    generated_at: str


@dataclass(frozen=True)
class Manifest:
    """What a tenant's open-data folder holds: per dataset its fingerprint and files."""

    tenant_id: str
    fingerprints: dict[str, str]
    files: list[DatasetFile]

    @classmethod
    def read(cls, folder: Path) -> "Manifest | None":
        try:
            raw = json.loads((folder / MANIFEST).read_text())
        except FileNotFoundError:
            return None
        return cls(raw["tenant_id"], raw["fingerprints"], [DatasetFile(**f) for f in raw["files"]])

    def file(self, dataset: str, fmt: str) -> DatasetFile | None:
        return next((f for f in self.files if f.dataset == dataset and f.format == fmt), None)


def _cell(value: Any) -> Any:
    """A value as JSON carries it: ids as text, dates and times in ISO 8601."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(_cell(value))


class _HashingWriter:
    """A gzip stream whose compressed bytes are counted and hashed as they are written."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.bytes += len(data)
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()


class _DatasetWriter:
    """The CSV and JSON Lines files of one dataset, written side by side from the same rows."""

    def __init__(self, folder: Path, dataset: Dataset) -> None:
        self.dataset = dataset
        self._parts: dict[str, tuple[Path, BinaryIO, _HashingWriter, gzip.GzipFile, io.TextIOWrapper]] = {}
        for fmt in FORMATS:
            fd, name = tempfile.mkstemp(prefix=f".{dataset.name}.{fmt}.", suffix=".partial", dir=folder)
            raw = os.fdopen(fd, "wb")
            hashing = _HashingWriter(raw)
            # mtime=0: the same rows give the same bytes, hence the same checksum.
            zipped = gzip.GzipFile(filename="", mode="wb", fileobj=hashing, compresslevel=6, mtime=0)  # type: ignore[arg-type]
            text = io.TextIOWrapper(zipped, encoding="utf-8", newline="")
            self._parts[fmt] = (Path(name), raw, hashing, zipped, text)
        self._csv = csv.writer(self._parts["csv"][4], lineterminator="\r\n")
        self._csv.writerow([field.name for field in dataset.fields])
        self.rows = 0

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        names = [field.name for field in self.dataset.fields]
        jsonl = self._parts["jsonl"][4]
        for row in rows:
            self._csv.writerow([_csv_cell(value) for value in row])
            jsonl.write(json.dumps(dict(zip(names, map(_cell, row), strict=True)), ensure_ascii=False) + "\n")
        self.rows += len(rows)

    def finish(self, folder: Path, generated_at: str) -> list[DatasetFile]:
        files = []
        for fmt, (partial, raw, hashing, zipped, text) in self._parts.items():
            text.flush()
            zipped.close()
            raw.flush()
            os.fsync(raw.fileno())
            raw.close()
            name = f"{self.dataset.name}.{fmt}.gz"
            os.replace(partial, folder / name)
            files.append(
                DatasetFile(
                    self.dataset.name, fmt, name, self.rows, hashing.bytes, hashing.sha256.hexdigest(), generated_at
                )
            )
        return files

    def abandon(self) -> None:
        for partial, raw, *_ in self._parts.values():
            with contextlib.suppress(OSError):
                raw.close()
            partial.unlink(missing_ok=True)


class OpenDataBuilder:
    """Keeps every tenant's open-data files in step with its public data."""

    def __init__(self, sessionmaker: SessionMaker, root: Path, *, interval_seconds: float) -> None:
        self._sessionmaker = sessionmaker
        self.root = root
        self._interval = interval_seconds
        # One pass at a time in this process (the loop's, or one asked for); replicas each have their own folder.
        self._building = asyncio.Lock()

    def folder(self, tenant_id: str) -> Path:
        return self.root / tenant_id

    def manifest(self, tenant_id: str) -> Manifest | None:
        return Manifest.read(self.folder(tenant_id))

    async def run(self) -> None:
        """A pass now (a new replica serves files soon), then one every interval."""
        while True:
            try:
                await self.build_all()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("open_data.pass_failed")
            await asyncio.sleep(self._interval)

    async def build_all(self) -> dict[str, list[str]]:
        """Rebuild what changed for every tenant with enterprises; the datasets rebuilt per tenant."""
        async with self._sessionmaker() as session:
            connection = await session.connection()
            tenants = (await connection.execute(select(ENTERPRISES.c.tenant_id).distinct())).scalars().all()
        return {tenant: await self.build(tenant) for tenant in sorted(tenants)}

    async def build(self, tenant_id: str) -> list[str]:
        """Rebuild the tenant's datasets whose data changed since their files were made; their names."""
        async with self._building:
            return await self._build(tenant_id)

    async def _build(self, tenant_id: str) -> list[str]:
        folder = self.folder(tenant_id)
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        previous = await asyncio.to_thread(Manifest.read, folder)
        fingerprints = dict(previous.fingerprints) if previous else {}
        files = {(f.dataset, f.format): f for f in previous.files} if previous else {}
        rebuilt = []
        for dataset in DATASETS.values():
            fingerprint = await self._fingerprint(dataset, tenant_id)
            if fingerprints.get(dataset.name) == fingerprint and all((dataset.name, f) in files for f in FORMATS):
                continue
            for made in await self._write(dataset, tenant_id, folder):
                files[(made.dataset, made.format)] = made
            fingerprints[dataset.name] = fingerprint
            rebuilt.append(dataset.name)
        if rebuilt:
            manifest = Manifest(tenant_id, fingerprints, sorted(files.values(), key=lambda f: (f.dataset, f.format)))
            await asyncio.to_thread(_write_manifest, folder, manifest)
            log.info("open_data.rebuilt", tenant_id=tenant_id, datasets=rebuilt)
        return rebuilt

    async def _fingerprint(self, dataset: Dataset, tenant_id: str) -> str:
        async with self._sessionmaker() as session:
            row = (await (await session.connection()).execute(dataset.changes(tenant_id))).one()
        return json.dumps([_cell(value) for value in row], default=str)

    async def _write(self, dataset: Dataset, tenant_id: str, folder: Path) -> list[DatasetFile]:
        writer = await asyncio.to_thread(_DatasetWriter, folder, dataset)
        try:
            async with self._sessionmaker() as session:
                result = await (await session.connection()).stream(dataset.rows(tenant_id))
                async for partition in result.partitions(PARTITION):
                    await asyncio.to_thread(writer.write, partition)
            return await asyncio.to_thread(writer.finish, folder, utcnow().isoformat())
        except BaseException:
            await asyncio.to_thread(writer.abandon)
            raise


def _write_manifest(folder: Path, manifest: Manifest) -> None:
    fd, name = tempfile.mkstemp(prefix=".manifest.", suffix=".partial", dir=folder)
    with os.fdopen(fd, "w") as out:
        json.dump(
            {
                "tenant_id": manifest.tenant_id,
                "fingerprints": manifest.fingerprints,
                "files": [asdict(f) for f in manifest.files],
            },
            out,
            indent=2,
        )
        out.flush()
        os.fsync(out.fileno())
    os.replace(name, folder / MANIFEST)
