"""The embedded default: migrations, the import and the lifecycle on SQLite."""

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
from alembic import command
from records_testing import SAMPLE_CSV, Running, csv_file, csv_row
from sqlalchemy import func
from sqlmodel import select

from bluemap_records.bootstrap import bootstrap
from bluemap_records.records.models import Record
from bluemap_records.settings import RecordsSettings
from bluemap_shared.messaging.transport import InProcessTransport
from bluemap_shared.migrations import alembic_config
from bluemap_shared.runtime import running


async def test_import_query_and_decide_on_sqlite(tmp_path: Path) -> None:
    service = bootstrap(RecordsSettings(data_dir=tmp_path, environment="test"), InProcessTransport())
    async with (
        running(service.runtime),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://records") as client,
    ):
        records = Running(service=service, client=client)
        first = await records.upload("ipe", SAMPLE_CSV.read_bytes())
        assert first.status_code == 201, first.text
        assert (first.json()["created"], first.json()["rejected"]) == (20, 0)
        again = (await records.upload("ipe", SAMPLE_CSV.read_bytes().decode().encode("gb18030"))).json()
        assert (again["encoding"], again["unchanged"]) == ("gb18030", 20)
        changed = csv_file(csv_row(summary="更正"), csv_row(uscc="91610100992777567A"))
        body = (await records.upload("ipe", changed)).json()
        assert (body["updated"], body["rejected"]) == (1, 1)
        assert (await records.event_types("ipe")).count("record-updated") == 1

        admin = records.admin("ipe")
        page = (await client.get("/v1/records", params={"limit": 7}, headers=admin)).json()
        second = (
            await client.get("/v1/records", params={"limit": 7, "cursor": page["next_cursor"]}, headers=admin)
        ).json()
        assert not {r["id"] for r in page["items"]} & {r["id"] for r in second["items"]}
        found = (await client.get("/v1/enterprises", params={"q": "永安兴庆"}, headers=admin)).json()
        assert {e["name"] for e in found["items"]} == {"陕西永安兴庆门业有限公司", "西安永安兴庆门业股份有限公司"}
        [record] = [r for r in page["items"] + second["items"] if r["external_id"] == "MEE-2020-0220-017"]
        assert record["revision"] == 2
        history = await client.get(f"/v1/records/{record['id']}/revisions", headers=admin)
        assert [r["revision"] for r in history.json()] == [1]
        refused = await client.post(f"/v1/records/{record['id']}/resolve", json={"reason": "审核"}, headers=admin)
        assert refused.status_code == 409
        errors = await client.get(body["errors_csv_url"], headers=admin)
        assert "USCC check digit" in errors.text
    assert (tmp_path / "records.db").exists()


def test_migrations_go_down_and_up_again_on_sqlite(tmp_path: Path) -> None:
    config = alembic_config("bluemap_records", f"sqlite+aiosqlite:///{tmp_path / 'records.db'}")
    command.upgrade(config, "head")
    command.check(config)  # the models and the migrations agree
    command.downgrade(config, "0001")
    command.upgrade(config, "head")


def test_the_command_line_import_on_sqlite(tmp_path: Path) -> None:
    env = {"BLUEMAP_RECORDS_DATA_DIR": str(tmp_path), "BLUEMAP_RECORDS_LOG_LEVEL": "WARNING", "PATH": "/usr/bin:/bin"}
    source = tmp_path / "records.csv"
    source.write_bytes(SAMPLE_CSV.read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "bluemap_records", "import", str(source), "--tenant", "ipe", "--no-progress"],
        env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert '"created": 20' in result.stdout
    assert asyncio.run(_count_records(tmp_path)) == 20


async def _count_records(data_dir: Path) -> int:
    service = bootstrap(RecordsSettings(data_dir=data_dir, environment="test"), InProcessTransport())
    async with service.runtime.sessionmaker() as session:
        count = (await session.exec(select(func.count()).select_from(Record))).one()
    await service.runtime.engine.dispose()
    return int(count)


async def test_the_api_is_documented_in_openapi(tmp_path: Path) -> None:
    service = bootstrap(RecordsSettings(data_dir=tmp_path, environment="test"), InProcessTransport())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://records") as client:
        document = (await client.get("/openapi.json")).json()
    paths = document["paths"]
    upload = paths["/v1/imports"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"201", "202", "413", "422"} <= set(upload["responses"])
    assert {p["name"] for p in upload["parameters"]} == {"encoding", "format"}
    listing = {p["name"] for p in paths["/v1/records"]["get"]["parameters"]}
    filters = {"enterprise_id", "record_type", "year", "status", "issuing_authority", "issued_from", "issued_to"}
    assert filters | {"cursor", "limit"} <= listing
    for path in (
        "/v1/records/{record_id}/resolve",
        "/v1/records/{record_id}/restore",
        "/v1/records/{record_id}/retract",
        "/v1/records/{record_id}/status-history",
        "/v1/records/{record_id}/revisions",
        "/v1/imports/{import_id}",
        "/v1/imports/{import_id}/errors.csv",
        "/v1/enterprises/{enterprise_id}",
    ):
        assert path in paths
    assert "patch" in paths["/v1/enterprises/{enterprise_id}"]
    assert "next_cursor" in document["components"]["schemas"]["Page_RecordPublic_"]["properties"]
    await service.runtime.engine.dispose()
