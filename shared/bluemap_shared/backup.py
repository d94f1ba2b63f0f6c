"""Backup and restore of a deployment: pg_dump of each service's database plus the documents' objects.

    python -m bluemap_shared.backup dump --to /backups/2026-12-08
    python -m bluemap_shared.backup restore --from /backups/2026-12-08

Both read the services' own variables: BLUEMAP_<SERVICE>_DATABASE_URL for the five databases and
BLUEMAP_DOCUMENTS_S3_* (or BLUEMAP_DOCUMENTS_STORAGE_PATH) for the objects. Restore writes into
empty databases (created beforehand, as the deployment's migrations would find them) and a bucket.
pg_dump/pg_restore come from PATH, or BLUEMAP_PG_BINDIR; their major version must be the server's or newer.
"""

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bluemap_shared.storage import FilesystemStorage, ObjectStorage, S3Storage

# The services, by the prefix of their variables.
SERVICES = {
    "records": "BLUEMAP_RECORDS_",
    "explanations": "BLUEMAP_EXPLANATIONS_",
    "documents": "BLUEMAP_DOCUMENTS_",
    "notifications": "BLUEMAP_NOTIFICATIONS_",
    "public-portal": "BLUEMAP_PORTAL_",
}
MANIFEST = "manifest.json"
# Key and Content-Type of each object, one JSON object a line.
OBJECT_INDEX = "objects.jsonl"
OCTET_STREAM = "application/octet-stream"


class BackupError(Exception):
    """A step that cannot go on: the message says what to fix."""


@dataclass(frozen=True)
class Target:
    """Where a deployment keeps its data, from the environment."""

    databases: dict[str, str]  # service -> libpq URL
    objects: ObjectStorage

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> "Target":
        env = dict(os.environ if environ is None else environ)
        databases = {}
        for service, prefix in SERVICES.items():
            url = env.get(f"{prefix}DATABASE_URL", "")
            if not url.startswith("postgresql"):
                raise BackupError(f"{prefix}DATABASE_URL must name the service's PostgreSQL database")
            databases[service] = libpq_url(url)
        return cls(databases, _objects(env))


def libpq_url(url: str) -> str:
    """postgresql+asyncpg://... as pg_dump takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _objects(env: dict[str, str]) -> ObjectStorage:
    if env.get("BLUEMAP_DOCUMENTS_STORAGE_BACKEND", "filesystem") == "s3":
        return S3Storage(
            env.get("BLUEMAP_DOCUMENTS_S3_ENDPOINT", "127.0.0.1:9000"),
            env.get("BLUEMAP_DOCUMENTS_S3_ACCESS_KEY", ""),
            env.get("BLUEMAP_DOCUMENTS_S3_SECRET_KEY", ""),
            env.get("BLUEMAP_DOCUMENTS_S3_BUCKET", "bluemap-documents"),
            secure=env.get("BLUEMAP_DOCUMENTS_S3_SECURE", "false").lower() == "true",
            region=env.get("BLUEMAP_DOCUMENTS_S3_REGION", "us-east-1"),
        )
    root = env.get("BLUEMAP_DOCUMENTS_STORAGE_PATH") or str(
        Path(env.get("BLUEMAP_DOCUMENTS_DATA_DIR", "var/data"), "objects")
    )
    return FilesystemStorage(Path(root))


def pg_tool(name: str) -> str:
    """pg_dump or pg_restore: BLUEMAP_PG_BINDIR, PATH, or the newest Debian install."""
    bindir = os.environ.get("BLUEMAP_PG_BINDIR")
    if bindir:
        return str(Path(bindir, name))
    found = shutil.which(name)
    if found:
        return found
    installed = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if installed:
        return str(installed[-1])
    raise BackupError(f"{name} not found: install postgresql-client, or set BLUEMAP_PG_BINDIR")


def _run(command: list[str]) -> None:
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({finished.returncode}): {finished.stderr.strip()[-2000:]}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


async def dump(target: Target, into: Path) -> dict[str, object]:
    """Each database in pg_dump's custom format, then every object; a manifest with checksums."""
    await asyncio.to_thread(into.mkdir, parents=True, exist_ok=True)
    started = datetime.now(UTC)
    dumps = {}
    for service, url in target.databases.items():
        path = into / f"{service}.dump"
        await asyncio.to_thread(_run, [pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={path}", url])
        dumps[service] = {"file": path.name, "sha256": await asyncio.to_thread(_sha256, path)}
    objects = 0
    with (into / OBJECT_INDEX).open("w") as index:
        async for stored in target.objects.list():
            path = into / "objects" / stored.key
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            with path.open("wb") as out:
                async for chunk in target.objects.read(stored.key):
                    out.write(chunk)
            content_type = (
                await target.objects.content_type(stored.key) if isinstance(target.objects, S3Storage) else OCTET_STREAM
            )
            index.write(json.dumps({"key": stored.key, "content_type": content_type}) + "\n")
            objects += 1
    manifest: dict[str, object] = {
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "databases": dumps,
        "objects": objects,
    }
    (into / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return manifest


async def restore(target: Target, source: Path) -> dict[str, object]:
    """Checksums first, then each database into its (empty) target, then the objects."""
    manifest = json.loads((source / MANIFEST).read_text())
    for service, entry in manifest["databases"].items():
        if await asyncio.to_thread(_sha256, source / entry["file"]) != entry["sha256"]:
            raise BackupError(f"{entry['file']} does not match its checksum: the backup is damaged")
        if service not in target.databases:
            raise BackupError(f"no database to restore {service} into")
    for service, entry in manifest["databases"].items():
        url = target.databases[service]
        await asyncio.to_thread(
            _run,
            [pg_tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={url}", str(source / entry["file"])],
        )
    if isinstance(target.objects, S3Storage):
        await target.objects.ensure_bucket()
    restored = 0
    for line in (source / OBJECT_INDEX).read_text().splitlines():
        entry = json.loads(line)
        path = source / "objects" / entry["key"]
        data_sha = await asyncio.to_thread(_sha256, path)
        with path.open("rb") as handle:
            await target.objects.put(
                entry["key"], handle, length=path.stat().st_size, content_type=entry["content_type"], sha256=data_sha
            )
        restored += 1
    if restored != manifest["objects"]:
        raise BackupError(f"the backup lists {manifest['objects']} objects, {restored} were found")
    return {"databases": sorted(manifest["databases"]), "objects": restored}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bluemap_shared.backup", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dump", help="back up the five databases and the objects").add_argument(
        "--to", type=Path, required=True
    )
    commands.add_parser("restore", help="restore a backup into empty databases and a bucket").add_argument(
        "--from", dest="source", type=Path, required=True
    )
    args = parser.parse_args(argv)
    try:
        target = Target.from_environment()
        result = asyncio.run(dump(target, args.to) if args.command == "dump" else restore(target, args.source))
    except BackupError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
