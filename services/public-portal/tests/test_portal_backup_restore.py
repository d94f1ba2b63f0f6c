"""Backup (pg_dump of the five databases plus the objects) restored into fresh databases serves the same pages."""

import asyncio
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from uuid import uuid4

import pytest
from portal_testing import TITLE, Start, client, envelope, feed, published, registered, snapshot

from bluemap_shared.migrations import upgrade_to_head
from bluemap_shared.storage import S3Storage

pytestmark = pytest.mark.integration

PACKAGES = {
    "BLUEMAP_RECORDS_": "bluemap_records",
    "BLUEMAP_EXPLANATIONS_": "bluemap_explanations",
    "BLUEMAP_DOCUMENTS_": "bluemap_documents",
    "BLUEMAP_NOTIFICATIONS_": "bluemap_notifications",
    "BLUEMAP_PORTAL_": "bluemap_portal",
}
# What differs between two renderings of one page by design: the CSP nonce.
NONCE = re.compile(r'nonce="[^"]+"|nonce-[A-Za-z0-9+/=_-]+')


def run_backup(environment: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    """`python -m bluemap_shared.backup` as an operator runs it, with the deployment's variables."""
    return subprocess.run(
        [sys.executable, "-m", "bluemap_shared.backup", *argv],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def backup_tool(environment: dict[str, str], *argv: str) -> dict[str, object]:
    finished = run_backup(environment, *argv)
    assert finished.returncode == 0, finished.stderr
    result: dict[str, object] = json.loads(finished.stdout)
    return result


async def deployment(
    create_database: Callable[[str], Awaitable[str]], servers: dict[str, str], bucket: str, *, migrate: bool
) -> dict[str, str]:
    """Environment of a deployment: five fresh databases (migrated, or empty for a restore) and a bucket."""
    environment = {
        "BLUEMAP_DOCUMENTS_STORAGE_BACKEND": "s3",
        "BLUEMAP_DOCUMENTS_S3_ENDPOINT": servers["BLUEMAP_S3_ENDPOINT"],
        "BLUEMAP_DOCUMENTS_S3_ACCESS_KEY": servers["BLUEMAP_S3_ACCESS_KEY"],
        "BLUEMAP_DOCUMENTS_S3_SECRET_KEY": servers["BLUEMAP_S3_SECRET_KEY"],
        "BLUEMAP_DOCUMENTS_S3_BUCKET": bucket,
    }
    for prefix, package in PACKAGES.items():
        url = await create_database(package.removeprefix("bluemap_"))
        if migrate:
            await upgrade_to_head(package, url)
        environment[f"{prefix}DATABASE_URL"] = url
    return environment


def objects_of(environment: dict[str, str]) -> S3Storage:
    return S3Storage(
        environment["BLUEMAP_DOCUMENTS_S3_ENDPOINT"],
        environment["BLUEMAP_DOCUMENTS_S3_ACCESS_KEY"],
        environment["BLUEMAP_DOCUMENTS_S3_SECRET_KEY"],
        environment["BLUEMAP_DOCUMENTS_S3_BUCKET"],
    )


async def pages(start: Start, database_url: str, enterprise_id: str) -> dict[str, str]:
    """The public pages and API answers a visitor sees, from a portal on database_url."""
    async with start(database_url=database_url) as svc, client(svc.site) as site, client(svc.app) as api:
        seen = {}
        for path in (f"/enterprises/{enterprise_id}", f"/enterprises/{enterprise_id}?lang=en", "/search?q=永安"):
            response = await site.get(path)
            assert response.status_code == 200, path
            seen[path] = NONCE.sub("nonce", response.text)
        response = await api.get(f"/v1/enterprises/{enterprise_id}")
        assert response.status_code == 200
        seen["api"] = response.text
        return seen


async def test_a_backup_restored_into_fresh_databases_serves_the_same_pages_and_objects(
    start: Start, create_database: Callable[[str], Awaitable[str]], servers: dict[str, str], tmp_path: Path
) -> None:
    source = await deployment(create_database, servers, f"t-backup-{uuid4().hex[:10]}", migrate=True)
    enterprise_id = uuid4()
    company = snapshot(enterprise_id)
    async with start(database_url=source["BLUEMAP_PORTAL_DATABASE_URL"]) as svc:
        await feed(svc, envelope(registered(company)), *(envelope(published(company)) for _ in range(3)))
    objects = objects_of(source)
    await objects.ensure_bucket()
    stored = {}
    for n in range(3):
        data = f"%PDF-1.7 object {n}".encode()
        key = f"tenants/ipe/sha256/{hashlib.sha256(data).hexdigest()}"
        await objects.put(
            key,
            io.BytesIO(data),
            length=len(data),
            content_type="application/pdf",
            sha256=hashlib.sha256(data).hexdigest(),
        )
        stored[key] = data
    before = await pages(start, source["BLUEMAP_PORTAL_DATABASE_URL"], str(enterprise_id))
    assert before[f"/enterprises/{enterprise_id}"].count(TITLE) >= 3

    manifest = await asyncio.to_thread(backup_tool, source, "dump", "--to", str(tmp_path))
    assert manifest["objects"] == 3
    assert sorted(manifest["databases"]) == sorted(
        ["records", "explanations", "documents", "notifications", "public-portal"]
    )  # type: ignore[arg-type]

    restored = await deployment(create_database, servers, f"t-restore-{uuid4().hex[:10]}", migrate=False)
    assert await asyncio.to_thread(backup_tool, restored, "restore", "--from", str(tmp_path)) == {
        "databases": ["documents", "explanations", "notifications", "public-portal", "records"],
        "objects": 3,
    }
    after = await pages(start, restored["BLUEMAP_PORTAL_DATABASE_URL"], str(enterprise_id))
    assert after == before
    copies = objects_of(restored)
    for key, data in stored.items():
        assert b"".join([chunk async for chunk in copies.read(key)]) == data
        assert await copies.content_type(key) == "application/pdf"
    # Every service starts on its restored database: its migrations find nothing to do.
    for prefix, package in PACKAGES.items():
        await upgrade_to_head(package, restored[f"{prefix}DATABASE_URL"])


async def test_a_damaged_backup_is_refused_before_anything_is_written(
    create_database: Callable[[str], Awaitable[str]], servers: dict[str, str], tmp_path: Path
) -> None:
    source = await deployment(create_database, servers, f"t-backup-{uuid4().hex[:10]}", migrate=True)
    await objects_of(source).ensure_bucket()
    await asyncio.to_thread(backup_tool, source, "dump", "--to", str(tmp_path))
    with (tmp_path / "records.dump").open("ab") as dump:
        dump.write(b"garbage")
    restored = await deployment(create_database, servers, f"t-restore-{uuid4().hex[:10]}", migrate=False)
    finished = await asyncio.to_thread(run_backup, restored, "restore", "--from", str(tmp_path))
    assert finished.returncode == 2
    assert "records.dump does not match its checksum" in finished.stderr
