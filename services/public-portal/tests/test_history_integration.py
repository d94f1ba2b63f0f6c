"""The public history log on real PostgreSQL: public changes become entries whose proofs the verifier checks."""

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
import uvicorn
from portal_testing import (
    Start,
    client,
    document_published,
    envelope,
    explanation_published,
    feed,
    published,
    registered,
    snapshot,
    tenant_configured,
)
from sqlalchemy import text

from bluemap_portal.bootstrap import PortalService
from bluemap_portal.history.verifier import verify_history
from bluemap_shared.events.catalog import RecordPublished, RecordRetracted, RecordStatusChanged, RecordUpdated

pytestmark = pytest.mark.integration

RETRACTED_TITLE = "误发的督办函（已撤回）"
RETRACTED_SUMMARY = "这段文字撤回后不得留在日志中。"
RETRACTED_EXPLANATION = "撤回记录的说明文字。"


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """The portal's API on a real HTTP server on loopback, for the verifier's own process."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def verify_command(url: str, *extra: str) -> tuple[int, str]:
    """`python -m bluemap_portal verify-history URL ...` in its own process: exit code and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bluemap_portal", "verify-history", url, *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


def revised(event: RecordPublished, **changes: Any) -> RecordUpdated:
    fields = event.model_dump(exclude={"published_at", "import_id"}) | {"revision": 1, "updated_at": datetime.now(UTC)}
    return RecordUpdated.model_validate(fields | changes)


def lifecycle(record_id: UUID, enterprise_id: UUID, previous: str, status: str, reason: str) -> RecordStatusChanged:
    return RecordStatusChanged(
        record_id=record_id,
        enterprise_id=enterprise_id,
        previous_status=previous,
        status=status,
        reason=reason,
        changed_at=datetime.now(UTC),
    )


async def publish_changes(svc: PortalService, enterprise_id: UUID) -> tuple[RecordPublished, RecordPublished]:
    """A record published, revised, resolved and restored; another published, explained and retracted."""
    company = snapshot(enterprise_id)
    kept = published(company)
    withdrawn = published(company, source_title=RETRACTED_TITLE, summary=RETRACTED_SUMMARY)
    await feed(
        svc,
        envelope(registered(company)),
        envelope(kept),
        envelope(withdrawn),
        envelope(revised(kept, summary="废气排放超标（更正）。")),
        envelope(lifecycle(kept.record_id, enterprise_id, "explained", "resolved", "整改已核实")),
        envelope(lifecycle(kept.record_id, enterprise_id, "resolved", "restored", "复查发现仍超标")),
        envelope(explanation_published(withdrawn.record_id, enterprise_id, reasons=RETRACTED_EXPLANATION)),
        envelope(document_published(enterprise_id, record_ids=[kept.record_id])),
        envelope(
            RecordRetracted(
                record_id=withdrawn.record_id,
                enterprise_id=enterprise_id,
                reason="误发",
                retracted_at=datetime.now(UTC),
            )
        ),
    )
    return kept, withdrawn


async def test_public_changes_are_entries_whose_proofs_verify(start: Start, tmp_path: Path) -> None:
    enterprise_id = uuid4()
    async with start() as svc, client(svc.app) as api:
        kept, withdrawn = await publish_changes(svc, enterprise_id)
        assert (await api.get("/v1/history/head")).status_code == 404  # nothing signed yet
        assert await svc.history.publish() == 1
        assert await svc.history.publish() == 0  # the log did not grow

        entries = (await api.get("/v1/history/entries")).json()
        kinds = [entry["leaf"]["kind"] for entry in entries]
        assert kinds == [
            "record-published", "record-published", "record-revised", "record-resolved", "record-restored",
            "explanation-published", "document-published", "record-retracted",
        ]  # fmt: skip
        assert entries[3]["leaf"]["reason"] == "整改已核实"
        assert entries[7]["leaf"]["reason"] == "误发"
        # Retracted: the record's and its explanation's text are gone, their digests stay in the leaves.
        assert [entries[i]["content"] for i in (1, 5)] == [None, None]
        assert [entries[i]["content_withheld"] for i in (1, 5)] == [True, True]
        assert entries[0]["content"]["source_title"] == kept.source_title
        async with svc.runtime.sessionmaker() as session:
            stored = await (await session.connection()).execute(
                text("SELECT leaf || coalesce(content, '') FROM portal_history_leaves")
            )
            everything = "".join(row[0] for row in stored)
        for secret in (RETRACTED_TITLE, RETRACTED_SUMMARY, RETRACTED_EXPLANATION):
            assert secret not in everything
            assert secret not in (await api.get("/v1/history/entries")).text

        # The record's history lists its entries (and the document listed under it) with their proofs.
        history = (await api.get(f"/v1/history/records/{kept.record_id}")).json()
        assert [e["entry"]["leaf"]["kind"] for e in history["entries"]] == [
            "record-published", "record-revised", "record-resolved", "record-restored", "document-published",
        ]  # fmt: skip
        by_hash = await api.get("/v1/history/proofs/inclusion", params={"leaf_hash": entries[6]["leaf_hash"]})
        assert by_hash.json()["leaf_index"] == 6

        # The record's public line links to its history page, which shows each entry with its proof.
        head = (await api.get("/v1/history/head")).json()
        async with client(svc.site) as site:
            enterprise_page = (await site.get(f"/enterprises/{enterprise_id}", params={"lang": "en"})).text
            assert f'href="/records/{kept.record_id}/history?lang=en"' in enterprise_page
            page = (await site.get(f"/records/{kept.record_id}/history", params={"lang": "en"})).text
            assert head["root_hash"] in page
            assert "整改已核实" in page
            assert page.count('<ol class="proof">') == 5
            gone = (await site.get(f"/records/{withdrawn.record_id}/history", params={"lang": "en"})).text
            assert "The text of this entry was withdrawn with its record" in gone
            assert RETRACTED_TITLE not in gone
            assert RETRACTED_EXPLANATION not in gone
            assert (await site.get(f"/records/{uuid4()}/history")).status_code == 404

        saved = tmp_path / "head.json"
        # The verifier reaches the portal at 127.0.0.1: the tenant claims that host too.
        await feed(svc, tenant_configured("ipe", version=2, hostnames=["portal.example.org", "127.0.0.1"]))
        async with served(svc.app) as url:
            code, output = await verify_command(url, "--saved-head", str(saved))
            assert code == 0, output
            assert "8 entries make the head's root" in output
            first_head = saved.read_text()

            # The log grows: the new head must extend the saved one.
            await feed(svc, envelope(published(snapshot(enterprise_id))))
            assert await svc.history.publish() == 1
            code, output = await verify_command(url, "--saved-head", str(saved))
            assert code == 0, output
            assert "the head of size 9 extends the saved head of size 8" in output
            assert saved.read_text() != first_head

            # Someone edits a published entry in the database: the verifier tells.
            async with svc.runtime.sessionmaker() as session, session.begin():
                edit = "UPDATE portal_history_leaves SET leaf = replace(leaf, :said, :lie) WHERE leaf_index = 3"
                await (await session.connection()).execute(text(edit), {"said": "整改已核实", "lie": "从未超标"})
            code, output = await verify_command(url, "--saved-head", str(saved))
            assert code == 1, output
            assert "entry 3: its leaf does not hash to its leaf hash" in output


async def test_rewritten_history_is_not_consistent_with_a_saved_head(start: Start) -> None:
    async with start() as svc, client(svc.app) as api:
        await publish_changes(svc, uuid4())
        await svc.history.publish()
        saved = (await api.get("/v1/history/head")).json()
        assert (await verify_history(api, saved)).ok
        # A log rebuilt with a different past and signed with the same key: a fresh head, an old lie.
        async with svc.runtime.sessionmaker() as session, session.begin():
            connection = await session.connection()
            await connection.execute(
                text("UPDATE portal_history_leaves SET leaf_hash = sha256(leaf_hash) WHERE leaf_index = 0")
            )
            await connection.execute(text("UPDATE portal_history_trees SET frontier = sha256(frontier)"))
        await feed(svc, envelope(published(snapshot(uuid4()))))
        await svc.history.publish()
        verdict = await verify_history(api, saved)
        assert not verdict.ok
        assert any("not consistent with the saved head of size 8" in problem for problem in verdict.problems)


async def test_proof_requests_out_of_range_are_refused(start: Start) -> None:
    async with start() as svc, client(svc.app) as api:
        await publish_changes(svc, uuid4())
        await svc.history.publish()
        assert (await api.get("/v1/history/proofs/inclusion", params={"leaf_index": 8})).status_code == 422
        assert (
            await api.get("/v1/history/proofs/inclusion", params={"leaf_index": 0, "tree_size": 99})
        ).status_code == 422
        assert (await api.get("/v1/history/proofs/inclusion")).status_code == 422
        assert (await api.get("/v1/history/proofs/consistency", params={"first": 9})).status_code == 422
        assert (await api.get("/v1/history/proofs/inclusion", params={"leaf_hash": "00" * 32})).status_code == 404
        assert (await api.get("/v1/history/entries", params={"start": 0, "end": 5000})).status_code == 422
        key = (await api.get("/v1/history/public-key")).json()
        assert key["algorithm"] == "Ed25519"
