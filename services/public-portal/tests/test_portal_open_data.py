"""Open data: every tenant's public dataset as CSV and JSON Lines, rebuilt when (and only when) it changed."""

import csv
import gzip
import hashlib
import io
import json
from pathlib import Path
from uuid import uuid4

import pytest
from portal_testing import Start, client, envelope, feed, published, registered, snapshot

from bluemap_portal.opendata.builder import OpenDataBuilder
from bluemap_portal.opendata.dictionary import DATASETS

pytestmark = pytest.mark.integration


def rows_of(folder: Path, name: str) -> tuple[list[str], list[dict[str, object]]]:
    """The CSV header and the JSON Lines rows of one dataset."""
    header = next(csv.reader(io.StringIO(gzip.decompress((folder / f"{name}.csv.gz").read_bytes()).decode())))
    lines = gzip.decompress((folder / f"{name}.jsonl.gz").read_bytes()).decode().splitlines()
    return header, [json.loads(line) for line in lines]


async def test_files_hold_the_tenants_public_data_and_are_rebuilt_only_when_it_changed(
    start: Start, tmp_path: Path
) -> None:
    ours, theirs = snapshot(uuid4()), snapshot(uuid4(), uscc="91610000220522614X", name="他家公司")
    async with start(open_data_interval_seconds=3600) as svc:
        await feed(svc, envelope(registered(ours)), envelope(published(ours)), envelope(published(ours)))
        await feed(svc, envelope(registered(theirs), tenant="demo"), envelope(published(theirs), tenant="demo"))
        builder = OpenDataBuilder(svc.runtime.sessionmaker, tmp_path, interval_seconds=3600)

        assert await builder.build_all() == {"ipe": list(DATASETS), "demo": list(DATASETS)}
        folder = builder.folder("ipe")
        header, records = rows_of(folder, "records")
        assert header == [field.name for field in DATASETS["records"].fields]
        assert len(records) == 2
        assert {r["enterprise_id"] for r in records} == {str(ours.enterprise_id)}
        _, enterprises = rows_of(folder, "enterprises")
        assert [e["uscc"] for e in enterprises] == [ours.uscc], "another tenant's enterprise leaked in"
        manifest = builder.manifest("ipe")
        assert manifest is not None
        for made in manifest.files:
            assert hashlib.sha256((folder / made.name).read_bytes()).hexdigest() == made.sha256
        first = {f.name: f.sha256 for f in manifest.files}

        assert await builder.build("ipe") == [], "nothing changed: nothing is rebuilt"
        await feed(svc, envelope(published(ours)))
        # A new record moves its enterprise's last update too; explanations and documents stay as they were.
        assert await builder.build("ipe") == ["enterprises", "records"]
        again = builder.manifest("ipe")
        assert again is not None
        changed = {f.name for f in again.files if first[f.name] != f.sha256}
        assert changed == {"enterprises.csv.gz", "enterprises.jsonl.gz", "records.csv.gz", "records.jsonl.gz"}
        assert len(rows_of(folder, "records")[1]) == 3


async def test_the_data_page_downloads_and_catalog(start: Start) -> None:
    company = snapshot(uuid4())
    async with start(open_data_interval_seconds=3600, open_data_licences={"ipe": "CC-BY-SA-4.0"}) as svc:
        await feed(svc, envelope(registered(company)), envelope(published(company)))
        await svc.site.state.open_data.build_all()
        manifest = svc.site.state.open_data.manifest("ipe")
        async with client(svc.site) as site:
            page = await site.get("/data?lang=en")
            assert page.status_code == 200
            for made in manifest.files:
                assert made.name in page.text
                assert made.sha256 in page.text
            assert "CC-BY-SA-4.0" in page.text

            download = await site.get("/data/records.jsonl.gz")
            assert download.status_code == 200
            assert download.headers["content-type"] == "application/gzip"
            assert hashlib.sha256(download.content).hexdigest() == manifest.file("records", "jsonl").sha256
            etag = download.headers["etag"]
            assert (await site.get("/data/records.jsonl.gz", headers={"If-None-Match": etag})).status_code == 304
            assert (await site.get("/data/..%2fmanifest.json")).status_code == 404
            assert (await site.get("/data/secrets.csv.gz")).status_code == 404

            catalog = (await site.get("/data/catalog.json")).json()
            assert catalog["@type"] == "dcat:Catalog"
            assert catalog["dct:license"]["@id"].endswith("CC-BY-SA-4.0")
            by_name = {d["dct:identifier"]: d for d in catalog["dcat:dataset"]}
            assert set(by_name) == {f"ipe:{name}" for name in DATASETS}
            checksums = {
                dist["spdx:checksum"]["spdx:checksumValue"]
                for d in catalog["dcat:dataset"]
                for dist in d["dcat:distribution"]
            }
            assert checksums == {f.sha256 for f in manifest.files}
            dictionary = (await site.get("/data/dictionary.json")).json()
            assert [f["name"] for f in dictionary["records"]["fields"]] == [f.name for f in DATASETS["records"].fields]


async def test_files_are_made_on_sqlite_too(start: Start, tmp_path: Path) -> None:
    company = snapshot(uuid4())
    async with start(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}", open_data_interval_seconds=3600
    ) as svc:
        await feed(svc, envelope(registered(company)), envelope(published(company)))
        builder = OpenDataBuilder(svc.runtime.sessionmaker, tmp_path / "open", interval_seconds=3600)
        assert await builder.build("ipe") == list(DATASETS)
        assert len(rows_of(builder.folder("ipe"), "records")[1]) == 1
