"""The history log on SQLite, the embedded default: appends across stored subtrees, encrypted keys, the verifier."""

from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from portal_testing import envelope, feed, published, snapshot, tenant_configured

from bluemap_portal.bootstrap import bootstrap
from bluemap_portal.history import service
from bluemap_portal.history.leaves import Change
from bluemap_portal.history.models import HistorySigningKey
from bluemap_portal.history.signing import SigningKeys
from bluemap_portal.history.verifier import verify_history
from bluemap_portal.settings import PortalSettings
from bluemap_shared.events.catalog import RecordRetracted, RecordUpdated
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.runtime import running


def change(i: int) -> Change:
    return Change("ipe", "record-status-changed", {"n": i}, {"text": f"第 {i} 条"}, record_id=uuid4())


async def test_a_log_past_its_stored_subtrees_verifies_and_its_key_is_encrypted(tmp_path: Path) -> None:
    settings = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}", log_json=False, history_key_secret="s3cret"
    )
    svc = bootstrap(settings, InProcessTransport())
    async with running(svc.runtime):
        await feed(svc, envelope(published(snapshot(uuid4()))))
        async with svc.runtime.sessionmaker() as session, session.begin():
            await service.append(session, [change(i) for i in range(300)])  # past 256: a stored level-8 subtree
        async with svc.runtime.sessionmaker() as session, session.begin():
            await service.append(session, [change(i) for i in range(300, 530)])  # a second batch on its frontier
        assert await svc.history.publish() == 1
        api = httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.app), base_url="http://portal.example.org")
        async with api:
            head = (await api.get("/v1/history/head")).json()
            assert head["tree_size"] == 531
            old = (await api.get("/v1/history/proofs/consistency", params={"first": 257, "second": 531})).json()
            assert old["consistency_path"]
            verdict = await verify_history(api)
            assert verdict.ok, verdict.problems

        async with svc.runtime.sessionmaker() as session:
            key = (await session.exec(HistorySigningKey.__table__.select())).one()  # type: ignore[attr-defined]
            assert key.encrypted
            assert key.private_key_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
            with pytest.raises(RuntimeError, match="encrypted"):
                await SigningKeys(None).of(session, "ipe")
            with pytest.raises(ValueError, match="password"):
                await SigningKeys("wrong").of(session, "ipe")


async def test_every_head_signature_holds_for_each_tenant_key(tmp_path: Path) -> None:
    settings = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}",
        log_json=False,
    )
    svc = bootstrap(settings, InProcessTransport())
    async with running(svc.runtime):
        await feed(svc, tenant_configured("ipe"), tenant_configured("demo"))
        await feed(svc, envelope(published(snapshot(uuid4()))), envelope(published(snapshot(uuid4())), tenant="demo"))
        assert await svc.history.publish() == 2
        api = httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.app), base_url="http://portal.example.org")
        async with api:
            ipe = (await api.get("/v1/history/public-key")).json()
            assert (await verify_history(api)).ok
        demo_api = httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.app), base_url="http://demo.example.org")
        async with demo_api:
            demo = (await demo_api.get("/v1/history/public-key")).json()
            assert demo["key_id"] != ipe["key_id"]
            assert (await demo_api.get("/v1/history/head")).json()["log"] == "demo"
            assert (await verify_history(demo_api)).ok


async def test_changes_about_a_retracted_record_keep_only_their_digest(tmp_path: Path) -> None:
    settings = PortalSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}", log_json=False)
    svc = bootstrap(settings, InProcessTransport())
    async with running(svc.runtime):
        record = published(snapshot(uuid4()), source_title="撤回前的标题")
        retracted = RecordRetracted(
            record_id=record.record_id,
            enterprise_id=record.enterprise.enterprise_id,
            reason="误发",
            retracted_at=record.published_at,
        )
        late = RecordUpdated.model_validate(
            record.model_dump(exclude={"published_at", "import_id"})
            | {"source_title": "撤回后才到的修订", "revision": 1, "updated_at": record.published_at}
        )
        await feed(svc, envelope(record), envelope(retracted), envelope(late))
        await svc.history.publish()
        api = httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.app), base_url="http://portal.example.org")
        async with api:
            entries = (await api.get("/v1/history/entries")).json()
            assert [e["leaf"]["kind"] for e in entries] == ["record-published", "record-retracted", "record-revised"]
            assert [e["content_withheld"] for e in entries] == [True, False, True]
            assert "撤回" not in (await api.get("/v1/history/entries")).text.replace("误发", "")
            assert (await verify_history(api)).ok
