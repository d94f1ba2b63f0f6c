"""POST /v1/imports on real PostgreSQL: counts, idempotency, history, rejected rows, bad files, limits, jobs."""

import asyncio
import contextlib
import csv
import io
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import orjson
import pytest
from records_testing import HEADER, SAMPLE_CSV, Running, csv_file, csv_row, new_uscc
from sqlalchemy import func
from sqlmodel import select

from bluemap_records.imports.batches import Batch
from bluemap_records.imports.models import RecordImport
from bluemap_records.imports.service import BatchWriter
from bluemap_records.records.models import Record
from bluemap_shared.testing import eventually

pytestmark = pytest.mark.integration

SAMPLE = SAMPLE_CSV.read_bytes()


async def count(records: Running, model: type, tenant: str) -> int:
    async with records.service.runtime.sessionmaker() as session:
        result = await session.exec(select(func.count()).select_from(model).where(model.tenant_id == tenant))  # type: ignore[attr-defined]
        return int(result.one())


async def listed(records: Running, tenant: str, **params: str) -> list[dict]:  # type: ignore[type-arg]
    response = await records.client.get("/v1/records", params={"limit": 500, **params}, headers=records.admin(tenant))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_the_sample_file_imports_and_a_second_time_changes_nothing(records: Running, tenant: str) -> None:
    response = await records.upload(tenant, SAMPLE)
    assert response.status_code == 201, response.text
    body = response.json()
    assert {k: body[k] for k in ("status", "rows", "created", "updated", "unchanged", "rejected")} == {
        "status": "completed", "rows": 20, "created": 20, "updated": 0, "unchanged": 0, "rejected": 0,
    }  # fmt: skip
    assert (body["errors"], body["ignored_columns"], body["encoding"], body["format"]) == ([], [], "utf-8", "csv")
    assert response.headers["location"] == body["url"]
    assert body["url"].endswith(f"/v1/imports/{body['id']}")
    events = await records.event_types(tenant)
    assert events.count("enterprise-registered") == 7
    assert events.count("record-published") == 20

    again = await records.upload(tenant, SAMPLE)
    assert again.status_code == 201
    assert {k: again.json()[k] for k in ("created", "updated", "unchanged", "rejected")} == {
        "created": 0, "updated": 0, "unchanged": 20, "rejected": 0,
    }  # fmt: skip
    assert await records.event_types(tenant) == events  # no event for what did not change

    rows = await listed(records, tenant)
    assert len(rows) == 20
    walkthrough = [r for r in rows if r["source_title"] == "关于对强化监督定点帮扶发现问题进行督办的函(西安)"]
    [first] = [r for r in walkthrough if r["issuing_authority"] == "中华人民共和国生态环境部"]
    assert first["provenance"]["source"] == "import"
    assert first["provenance"]["import_id"] == body["id"]
    assert first["status"] == "awaiting_explanation"
    assert first["explanation_due_on"]
    assert first["revision"] == 1
    exemplary = [r for r in rows if r["record_type"] == "exemplary_list"]
    assert exemplary
    assert all(r["status"] == "published" and r["explanation_due_on"] is None for r in exemplary)


async def test_a_changed_row_updates_the_record_keeps_history_and_is_announced_once(
    records: Running, tenant: str
) -> None:
    original = csv_row(uscc=new_uscc(), external_id="SRC-1")
    assert (await records.upload(tenant, csv_file(original))).json()["created"] == 1
    changed = csv_file(csv_row(uscc=original.split(",")[0], external_id="SRC-1", summary="更正后的摘要", year="2021"))
    body = (await records.upload(tenant, changed)).json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 1, 0)
    assert (await records.upload(tenant, changed)).json()["unchanged"] == 1
    assert (await records.event_types(tenant)).count("record-updated") == 1

    [record] = await listed(records, tenant)
    assert (record["summary"], record["year"], record["revision"]) == ("更正后的摘要", 2021, 2)
    revisions = (
        await records.client.get(f"/v1/records/{record['id']}/revisions", headers=records.admin(tenant))
    ).json()
    assert [(r["revision"], r["year"], r["summary"]) for r in revisions] == [
        (1, 2020, "强化监督定点帮扶发现：喷漆房废气收集处理设施未正常运行。")
    ]
    [updated] = [m for m in await records.outbox(tenant) if m.event_type.endswith("record-updated.v1")]
    payload = orjson.loads(updated.payload)
    assert (payload["revision"], payload["summary"], payload["record_id"]) == (2, "更正后的摘要", record["id"])


async def test_without_external_id_a_record_is_what_it_says(records: Running, tenant: str) -> None:
    uscc = new_uscc()
    row = csv_row(uscc=uscc, external_id="")
    assert (await records.upload(tenant, csv_file(row))).json()["created"] == 1
    # The same content in another date form is the same record.
    same = csv_row(uscc=uscc, external_id="", issued_on="2020年2月20日")
    assert (await records.upload(tenant, csv_file(same))).json()["unchanged"] == 1
    # A different title is a different record.
    other = csv_row(uscc=uscc, external_id="", source_title="另一份文件")
    assert (await records.upload(tenant, csv_file(other))).json()["created"] == 1
    assert len(await listed(records, tenant)) == 2


async def test_the_same_record_twice_in_one_file(records: Running, tenant: str) -> None:
    uscc = new_uscc()
    first = csv_row(uscc=uscc, external_id="DUP")
    body = (
        await records.upload(tenant, csv_file(first, first, csv_row(uscc=uscc, external_id="DUP", summary="后来的")))
    ).json()
    assert (body["created"], body["unchanged"], body["updated"]) == (1, 1, 1)
    [record] = await listed(records, tenant)
    assert (record["summary"], record["revision"]) == ("后来的", 2)


async def test_the_import_adds_to_the_enterprise_and_announces_real_changes_only(records: Running, tenant: str) -> None:
    uscc = new_uscc()
    rows = [
        csv_row(uscc=uscc, external_id="A", registered_email="a@ent.example.cn", enterprise_name_en=""),
        csv_row(uscc=uscc, external_id="B", registered_email="b@ent.example.cn", region_code=""),
    ]
    await records.upload(tenant, csv_file(*rows))
    found = (await records.client.get("/v1/enterprises", params={"uscc": uscc}, headers=records.admin(tenant))).json()
    [enterprise] = found["items"]
    assert enterprise["registered_emails"] == ["a@ent.example.cn", "b@ent.example.cn"]
    assert enterprise["name_en"] == "Shaanxi Yong'an Xingqing Door Industry Co., Ltd."
    assert enterprise["region_code"] == "610100"

    renamed = csv_row(uscc=uscc, external_id="A", enterprise_name="陕西永安兴庆门业股份有限公司", registered_email="")
    await records.upload(tenant, csv_file(renamed))
    await records.upload(tenant, csv_file(renamed))
    events = await records.event_types(tenant)
    assert (events.count("enterprise-registered"), events.count("enterprise-updated")) == (1, 1)
    found = (await records.client.get("/v1/enterprises", params={"uscc": uscc}, headers=records.admin(tenant))).json()
    assert found["items"][0]["name"] == "陕西永安兴庆门业股份有限公司"
    assert found["items"][0]["registered_emails"] == ["a@ent.example.cn", "b@ent.example.cn"]


async def test_bad_rows_are_rejected_with_line_column_and_reason_and_the_rest_is_written(
    records: Running, tenant: str
) -> None:
    uscc = new_uscc()
    content = csv_file(
        csv_row(uscc=uscc, external_id="OK-1"),
        csv_row(uscc="91610100992777567A", external_id="BAD-1"),
        csv_row(uscc=uscc, external_id="BAD-2", year="1900", record_type="nope"),
        csv_row(uscc=uscc, external_id="OK-2", summary="第一行\n第二行"),
        csv_row(uscc=uscc, external_id="BAD-3", source_title='=HYPERLINK("http://evil")', issued_on="2020-02-30"),
    )
    response = await records.upload(tenant, content)
    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["rejected"], body["rows"]) == (2, 3, 5)
    assert body["errors"] == [
        {"line": 3, "column": "uscc", "reason": "USCC check digit is A, expected D"},
        {"line": 4, "column": "record_type", "reason": "unknown record type 'nope'"},
        {"line": 4, "column": "year", "reason": body["errors"][2]["reason"]},
        {"line": 7, "column": "issued_on", "reason": body["errors"][3]["reason"]},
    ]
    assert "between 1990" in body["errors"][2]["reason"]
    assert {r["external_id"] for r in await listed(records, tenant)} == {"OK-1", "OK-2"}

    download = await records.client.get(body["errors_csv_url"], headers=records.admin(tenant))
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(download.text.removeprefix("\ufeff"))))
    assert table[0] == ["error_line", "error_column", "error_reason", *HEADER.split(",")]
    assert [row[0] for row in table[1:]] == ["3", "4", "7"]
    assert table[2][1] == "record_type; year"
    assert table[3][3 + HEADER.split(",").index("source_title")] == '\'=HYPERLINK("http://evil")'
    assert table[1][3:] == next(csv.reader([csv_row(uscc="91610100992777567A", external_id="BAD-1")]))

    again = await records.client.get(body["url"], headers=records.admin(tenant))
    assert again.json()["errors"] == body["errors"]


async def test_gb18030_bom_and_json_lines_files_say_the_same_as_utf8(records: Running, tenant: str) -> None:
    text = SAMPLE.decode()
    gbk = await records.upload(tenant, text.encode("gb18030"))
    assert gbk.status_code == 201, gbk.text
    assert (gbk.json()["encoding"], gbk.json()["created"]) == ("gb18030", 20)
    bom = (await records.upload(tenant, b"\xef\xbb\xbf" + SAMPLE)).json()
    assert (bom["encoding"], bom["unchanged"]) == ("utf-8-sig", 20)
    declared = (await records.upload(tenant, text.encode("gbk"), encoding="gbk")).json()
    assert (declared["encoding"], declared["unchanged"]) == ("gbk", 20)
    lines = b"".join(orjson.dumps(row) + b"\n" for row in csv.DictReader(io.StringIO(text)))
    jsonl = (await records.upload(tenant, lines, filename="records.jsonl")).json()
    assert (jsonl["format"], jsonl["unchanged"], jsonl["rejected"]) == ("jsonl", 20, 0)


async def test_a_row_in_another_encoding_is_rejected_not_garbled(records: Running, tenant: str) -> None:
    good = csv_row(uscc=new_uscc(), external_id="UTF8")
    gbk = csv_row(uscc=new_uscc(), external_id="GBK").encode("gbk")
    garbled = csv_row(
        uscc=new_uscc(),
        external_id="MOJI",
        enterprise_name="陕西永安兴庆门业有限公司".encode().decode("gbk", errors="ignore"),
    )
    content = csv_file(good) + gbk + b"\n" + garbled.encode() + b"\n"
    body = (await records.upload(tenant, content)).json()
    assert (body["created"], body["rejected"]) == (1, 2)
    assert [e["line"] for e in body["errors"]] == [3, 4]
    assert body["errors"][0]["reason"].startswith("not valid UTF-8")
    assert "mojibake" in body["errors"][1]["reason"]


@pytest.mark.parametrize(
    ("content", "params", "detail"),
    [
        (b"", {}, "The file is empty."),
        (HEADER.encode() + b"\n", {}, "a header but no rows"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", {}, "Excel workbook"),
        (b"<html><body>not a csv</body></html>\n", {}, "not a header of the records format"),
        (SAMPLE.decode().encode("gbk"), {"encoding": "utf-8"}, "The file is not utf-8"),
        (SAMPLE.decode().encode("gbk"), {"encoding": "latin-1"}, "Unsupported encoding"),
        (b"uscc,year\n91610100992777567D,2020\n", {}, "Required columns are missing"),
    ],
)
async def test_files_that_cannot_be_imported_get_a_problem_and_write_nothing(
    records: Running, tenant: str, content: bytes, params: dict[str, str], detail: str
) -> None:
    response = await records.upload(tenant, content, **params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]
    assert await count(records, RecordImport, tenant) == 0
    assert await count(records, Record, tenant) == 0
    assert await records.outbox(tenant) == []


async def test_uploads_that_are_not_multipart_or_lack_the_file(records: Running, tenant: str) -> None:
    raw = await records.client.post(
        "/v1/imports", content=SAMPLE, headers={**records.admin(tenant), "Content-Type": "text/csv"}
    )
    assert raw.status_code == 415
    wrong_field = await records.client.post(
        "/v1/imports", files={"document": ("a.csv", SAMPLE, "text/csv")}, headers=records.admin(tenant)
    )
    assert wrong_field.status_code == 422
    assert "field 'file'" in wrong_field.json()["detail"]


async def test_only_the_tenants_admins_import(records: Running, tenant: str) -> None:
    files = {"file": ("a.csv", SAMPLE, "text/csv")}
    assert (await records.client.post("/v1/imports", files=files)).status_code == 401
    assert (await records.client.post("/v1/imports", files=files, headers=records.reviewer(tenant))).status_code == 403
    imported = (await records.upload(tenant, SAMPLE)).json()
    other = f"{tenant}-other"
    assert (await records.client.get(imported["url"], headers=records.admin(other))).status_code == 404
    assert (await records.client.get(imported["errors_csv_url"], headers=records.admin(other))).status_code == 404
    assert await listed(records, other) == []


async def test_an_upload_over_the_configured_limit_is_refused_and_writes_nothing(
    records_with: Callable[..., AbstractAsyncContextManager[Running]], tenant: str
) -> None:
    async with records_with(import_max_upload_bytes=2000) as small:
        declared = await small.upload(tenant, SAMPLE)  # the client declares its length
        assert declared.status_code == 413, declared.text
        assert declared.json()["max_upload_bytes"] == 2000

        async def chunked() -> AsyncIterator[bytes]:
            boundary = b"--b0undary"
            yield boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
            for _ in range(100):
                yield SAMPLE[:1000]
            yield b"\r\n" + boundary + b"--\r\n"

        streamed = await small.client.post(
            "/v1/imports",
            content=chunked(),
            headers={**small.admin(tenant), "Content-Type": "multipart/form-data; boundary=b0undary"},
        )
        assert streamed.status_code == 413
        fits = await small.upload(tenant, csv_file(csv_row(uscc=new_uscc())))
        assert fits.status_code == 201
        assert await count(small, RecordImport, tenant) == 1


async def test_a_2_gib_upload_is_refused_by_its_content_length_without_reading_it(
    records: Running, tenant: str
) -> None:
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        while True:
            sent += 1
            yield b"x" * 65536

    response = await records.client.post(
        "/v1/imports",
        content=endless(),
        headers={
            **records.admin(tenant),
            "Content-Type": "multipart/form-data; boundary=b0undary",
            "Content-Length": str(2 * 1024**3 + 1024**2),  # a file just over the default 2 GiB
        },
    )
    assert response.status_code == 413, response.text
    assert response.json()["max_upload_bytes"] == 2 * 1024**3
    assert sent <= 1  # the body was never read (the client may have primed its first chunk)
    assert await count(records, RecordImport, tenant) == 0


async def test_a_long_import_answers_202_and_goes_on_as_a_job(
    records_with: Callable[..., AbstractAsyncContextManager[Running]], tenant: str
) -> None:
    uscc = new_uscc()
    content = csv_file(*(csv_row(uscc=uscc, external_id=f"JOB-{i}") for i in range(400)))
    async with records_with(import_sync_rows=10, import_batch_size=5) as small:
        response = await small.upload(tenant, content)
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["status"] == "running"
        assert 10 < body["rows"] < 400
        assert response.headers["location"] == body["url"]

        async def done() -> dict | None:  # type: ignore[type-arg]
            polled = (await small.client.get(body["url"], headers=small.admin(tenant))).json()
            return polled if polled["status"] == "completed" else None

        finished = await eventually(done, timeout=30)
        assert (finished["rows"], finished["created"], finished["errors"]) == (400, 400, [])
        # Up to the limit, the same service answers when done.
        short = await small.upload(tenant, csv_file(*(csv_row(uscc=uscc, external_id=f"S-{i}") for i in range(10))))
        assert short.status_code == 201
        listed_imports = (await small.client.get("/v1/imports", headers=small.admin(tenant))).json()
        assert [i["created"] for i in listed_imports] == [10, 400]


async def test_rows_that_conflict_with_existing_records_are_rejected(records: Running, tenant: str) -> None:
    first, second = new_uscc(), new_uscc()
    await records.upload(
        tenant, csv_file(csv_row(uscc=first, external_id="X-1"), csv_row(uscc=first, external_id="X-2"))
    )
    [record] = [r for r in await listed(records, tenant) if r["external_id"] == "X-2"]
    retracted = await records.client.post(
        f"/v1/records/{record['id']}/retract", json={"reason": "发布有误"}, headers=records.admin(tenant)
    )
    assert retracted.status_code == 200
    body = (
        await records.upload(
            tenant,
            csv_file(
                csv_row(uscc=second, external_id="X-1"),  # another enterprise's record id
                csv_row(uscc=first, external_id="X-1", record_type="emissions_data"),  # explainable no more
                csv_row(uscc=first, external_id="X-2", summary="改过"),  # retracted
                csv_row(uscc=first, external_id="X-2"),  # retracted, but the same: nothing to do
            ),
        )
    ).json()
    assert (body["rejected"], body["unchanged"], body["created"]) == (3, 1, 0), body["errors"]
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(2, "uscc"), (3, "record_type"), (4, None)]
    assert "retracted" in body["errors"][2]["reason"]


async def test_concurrent_imports_of_the_same_file_write_each_record_once(records: Running, tenant: str) -> None:
    uscc = new_uscc()
    content = csv_file(*(csv_row(uscc=uscc, external_id=f"C-{i}") for i in range(300)))
    first, second = await asyncio.gather(records.upload(tenant, content), records.upload(tenant, content))
    bodies = [first.json(), second.json()]
    assert sorted(b["created"] for b in bodies) == [0, 300] or sum(b["created"] for b in bodies) == 300
    assert sum(b["created"] + b["unchanged"] for b in bodies) == 600
    assert await count(records, Record, tenant) == 300
    assert (await records.event_types(tenant)).count("record-published") == 300


async def test_a_stop_lets_the_batch_being_written_commit_rather_than_cancel_it(
    records_with: Callable[..., AbstractAsyncContextManager[Running]], tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = csv_file(*(csv_row(uscc=new_uscc(), external_id=f"HELD-{i}") for i in range(40)))
    held, release = asyncio.Event(), asyncio.Event()
    write = BatchWriter.write

    async def held_write(writer: BatchWriter, batch: Batch) -> Any:
        written = await write(writer, batch)
        if not held.is_set():
            held.set()
            await release.wait()  # rows written, transaction still open
        return written

    monkeypatch.setattr(BatchWriter, "write", held_write)
    async with records_with(import_sync_rows=0, import_batch_size=4) as small:
        uploading = asyncio.create_task(small.upload(tenant, content))
        await held.wait()
        asyncio.get_running_loop().call_later(0.3, release.set)  # while the service stops
    with contextlib.suppress(Exception):
        await uploading
    async with records_with() as again:
        [stopped] = (await again.client.get("/v1/imports", headers=again.admin(tenant))).json()
        assert stopped["status"] == "interrupted"
        assert stopped["created"] >= 1  # the held batch committed, not only the ones before it
        async with again.service.runtime.sessionmaker() as session:
            imported = await session.scalar(select(func.count()).select_from(Record).where(Record.tenant_id == tenant))
        assert imported == stopped["created"]


async def test_an_import_cut_short_by_a_stop_says_so_and_a_rerun_finishes_it(
    records_with: Callable[..., AbstractAsyncContextManager[Running]], tenant: str
) -> None:
    uscc = new_uscc()
    content = csv_file(*(csv_row(uscc=uscc, external_id=f"STOP-{i}") for i in range(400)))
    async with records_with(import_sync_rows=0, import_batch_size=2) as small:
        response = await small.upload(tenant, content)
        assert response.status_code == 202
        url = response.json()["url"]
    # The service stopped while the job ran: the rows written so far stay.
    async with records_with() as again:
        stopped = (await again.client.get(url, headers=again.admin(tenant))).json()
        assert stopped["status"] == "interrupted"
        assert "import the file again" in stopped["failure"]
        assert 0 < stopped["created"] < 400
        rerun = (await again.upload(tenant, content)).json()
        assert (rerun["status"], rerun["unchanged"], rerun["created"]) == (
            "completed", stopped["created"], 400 - stopped["created"],
        )  # fmt: skip


async def test_an_import_larger_than_the_json_and_form_body_limits_goes_through(records: Running, tenant: str) -> None:
    """The import endpoint declares its own body limit (import_max_upload_bytes), far above the 1 MiB default."""
    content = csv_file(*(csv_row(uscc=new_uscc(), external_id=f"BIG-{i}") for i in range(5000)))
    assert len(content) > 1.5 * 1024 * 1024
    response = await records.upload(tenant, content)
    assert response.status_code in (201, 202), response.text
