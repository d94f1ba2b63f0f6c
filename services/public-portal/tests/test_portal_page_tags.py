"""Pages dropped by what changed, HTTP validators (ETag, Last-Modified, 304) and signed-in visitors' pages."""

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, date, datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from portal_testing import (
    Start,
    client,
    document_published,
    envelope,
    explanation_published,
    feed,
    pdf_rendered,
    published,
    registered,
    snapshot,
    status_changed,
)

from bluemap_portal.bootstrap import PortalService, bootstrap
from bluemap_portal.enterprises.repository import page_rows
from bluemap_portal.settings import PortalSettings
from bluemap_portal.site.page_cache import (
    MAX_PAYLOAD,
    PageCache,
    _parsed,
    directory_tag,
    enterprise_tag,
    notice,
    records_tag,
    touch_pages,
)
from bluemap_portal.workspace.session import SESSION_COOKIE
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.runtime import running
from bluemap_shared.testing import TokenIssuer

TESTS = Path(__file__).resolve().parent
ISSUER = TokenIssuer()


def rendering(body: bytes, *tags: str) -> Callable[[], Awaitable[tuple[bytes, Iterable[str]]]]:
    async def render() -> tuple[bytes, Iterable[str]]:
        return body, tags

    return render


async def _until(condition: Callable[[], bool], *, seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


# --- the cache's bookkeeping ------------------------------------------------------------------------


async def test_an_invalidation_drops_only_the_pages_with_its_tags() -> None:
    cache = PageCache(60)
    await cache.get_or_render("a", rendering(b"A", "ipe:enterprise:a", "ipe:directory"))
    await cache.get_or_render("b", rendering(b"B", "ipe:enterprise:b"))
    cache.invalidate(["ipe:enterprise:a"])
    assert cache.fresh("a") is None
    page = cache.fresh("b")
    assert page is not None
    assert page.body == b"B"
    assert not cache.holds("ipe:directory")  # a's other tags no longer point at it
    cache.invalidate()
    assert len(cache) == 0


async def test_a_render_across_a_commit_of_its_own_tag_is_not_kept_of_another_tag_it_is() -> None:
    cache = PageCache(60)
    gate = asyncio.Event()

    async def slow(body: bytes, tag: str) -> tuple[bytes, Iterable[str]]:
        await gate.wait()
        return body, [tag]

    a = asyncio.create_task(cache.get_or_render("a", lambda: slow(b"A", "t:a")))
    b = asyncio.create_task(cache.get_or_render("b", lambda: slow(b"B", "t:b")))
    await asyncio.sleep(0)
    cache.invalidate(["t:a"])  # a commit touched a's data while both were being rendered
    gate.set()
    await asyncio.gather(a, b)
    assert cache.fresh("a") is None
    assert cache.fresh("b") is not None


def test_the_notice_carries_the_tags_and_falls_back_to_everything_when_too_long() -> None:
    assert _parsed(notice("me", ["ipe:enterprise:1"])) == ("me", ["ipe:enterprise:1"])
    assert _parsed(notice("me", None)) == ("me", None)
    many = [f"ipe:enterprise:{uuid4()}" for _ in range(400)]
    payload = notice("me", many)
    assert len(payload.encode()) <= MAX_PAYLOAD
    assert _parsed(payload) == ("me", None)
    assert _parsed("a bare origin of an older replica") == ("a bare origin of an older replica", None)
    assert _parsed(json.dumps({"origin": "x", "tags": [1]})) == ("x", None)


def test_touch_pages_names_the_tags_of_the_tenant() -> None:
    class Session:
        info: dict[str, Any] = {}

    session: Any = Session()
    a, b = uuid4(), uuid4()
    touch_pages(session, "ipe", enterprise_ids=[a], record_types=["accident"])
    touch_pages(session, "ipe", enterprise_ids=[b], directory=True)
    assert session.info["bluemap_portal.site.page_cache.touched"] == {
        enterprise_tag("ipe", a),
        enterprise_tag("ipe", b),
        records_tag("ipe", "accident"),
        directory_tag("ipe"),
    }


# --- through the portal -----------------------------------------------------------------------------


@pytest.mark.integration
async def test_a_write_to_one_enterprise_drops_its_page_and_leaves_the_others(start: Start) -> None:
    a, b = uuid4(), uuid4()
    async with start(page_cache_seconds=60) as svc:
        cache: PageCache = svc.site.state.page_cache
        await _until(lambda: cache.hears_every_writer)
        await feed(svc, envelope(registered(snapshot(a))), envelope(registered(snapshot(b, uscc="91610000220522614X"))))
        async with client(svc.site) as site:
            await site.get(f"/enterprises/{a}")
            await site.get(f"/enterprises/{b}")
            await site.get("/categories/accident")
            assert cache.holds(enterprise_tag("ipe", a))
            assert cache.holds(enterprise_tag("ipe", b))
            await feed(svc, envelope(published(snapshot(a), source_title="新的处罚决定书")))
            assert not cache.holds(enterprise_tag("ipe", a))
            assert cache.holds(enterprise_tag("ipe", b))
            assert cache.holds(records_tag("ipe", "accident"))  # an environmental_supervision record
            assert "新的处罚决定书" in (await site.get(f"/enterprises/{a}")).text


WRITER = """
import asyncio, sys
from uuid import UUID
from portal_testing import envelope, published, snapshot
from bluemap_portal.bootstrap import bootstrap
from bluemap_portal.settings import PortalSettings
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.runtime import running

async def main(database_url: str, enterprise_id: str) -> None:
    svc = bootstrap(PortalSettings(database_url=database_url, log_json=False), InProcessTransport())
    async with running(svc.runtime):
        event = published(snapshot(UUID(enterprise_id)), source_title="另一个进程写的记录")
        await svc.runtime.consumer.process(envelope(event).to_message())

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.integration
async def test_a_write_in_another_process_drops_that_enterprises_page_and_leaves_the_others(
    create_database: Callable[[str], Awaitable[str]],
) -> None:
    a, b = uuid4(), uuid4()
    database_url = await create_database("portal")
    settings = PortalSettings(database_url=database_url, log_json=False, page_cache_seconds=60)
    serving = bootstrap(settings, InProcessTransport())
    async with running(serving.runtime):
        cache: PageCache = serving.site.state.page_cache
        await _until(lambda: cache.hears_every_writer)
        await feed(
            serving, envelope(registered(snapshot(a))), envelope(registered(snapshot(b, uscc="91610000220522614X")))
        )
        async with client(serving.site) as site:
            await site.get(f"/enterprises/{a}")
            before_b = await site.get(f"/enterprises/{b}")
            assert cache.holds(enterprise_tag("ipe", a))
            assert cache.holds(enterprise_tag("ipe", b))
            env = os.environ | {"PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
            writer = await asyncio.create_subprocess_exec(sys.executable, "-c", WRITER, database_url, str(a), env=env)
            assert await asyncio.wait_for(writer.wait(), timeout=120) == 0
            await _until(lambda: not cache.holds(enterprise_tag("ipe", a)))
            assert cache.holds(enterprise_tag("ipe", b))
            assert "另一个进程写的记录" in (await site.get(f"/enterprises/{a}")).text
            after_b = await site.get(f"/enterprises/{b}", headers={"If-None-Match": before_b.headers["etag"]})
            assert after_b.status_code == 304


@pytest.mark.integration
@pytest.mark.parametrize("page_cache_seconds", [60, 0])
async def test_the_etag_changes_exactly_when_the_pages_data_does(start: Start, page_cache_seconds: float) -> None:
    a, b = uuid4(), uuid4()
    async with start(page_cache_seconds=page_cache_seconds) as svc:
        await feed(svc, envelope(registered(snapshot(a))), envelope(registered(snapshot(b, uscc="91610000220522614X"))))
        async with client(svc.site) as site:

            async def etag() -> str:
                site.cookies.clear()
                answer = await site.get(f"/enterprises/{a}")
                assert answer.status_code == 200
                return answer.headers["etag"]

            first = await etag()
            assert await etag() == first
            await feed(svc, envelope(published(snapshot(b, uscc="91610000220522614X"))))  # another enterprise
            assert await etag() == first
            await feed(svc, envelope(published(snapshot(a), source_title="新的处罚决定书")))
            changed = await etag()
            assert changed != first
            assert await etag() == changed
            english = await site.get(f"/enterprises/{a}", params={"lang": "en"})
            assert english.headers["etag"] not in (first, changed)  # another representation


@pytest.mark.integration
async def test_a_matching_conditional_request_is_answered_304(start: Start) -> None:
    a = uuid4()
    async with start(page_cache_seconds=60) as svc:
        await feed(svc, envelope(registered(snapshot(a))))
        async with client(svc.site) as site:
            page = await site.get(f"/enterprises/{a}")
            etag, modified = page.headers["etag"], page.headers["last-modified"]
            assert "stale-while-revalidate=" in page.headers["cache-control"]
            assert page.headers["cache-control"].startswith("public")
            for headers in (
                {"If-None-Match": etag},
                {"If-None-Match": f'"other", W/{etag}'},
                {"If-Modified-Since": modified},
            ):
                answer = await site.get(f"/enterprises/{a}", headers=headers)
                assert (answer.status_code, answer.content) == (304, b"")
                assert answer.headers["etag"] == etag
            for headers in (
                {"If-None-Match": '"other"'},
                {"If-None-Match": '"other"', "If-Modified-Since": modified},  # If-None-Match decides
                {"If-Modified-Since": formatdate(0, usegmt=True)},
                {"If-Modified-Since": "not a date"},
            ):
                assert (await site.get(f"/enterprises/{a}", headers=headers)).status_code == 200
            search = await site.get("/search", params={"q": "门业"})
            assert (
                await site.get("/search", params={"q": "门业"}, headers={"If-None-Match": search.headers["etag"]})
            ).status_code == 304


@pytest.fixture
async def signed_in_portal(tmp_path: Path) -> AsyncIterator[PortalService]:
    settings = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}", log_json=False, page_cache_seconds=60
    )
    svc = bootstrap(settings, InProcessTransport(), token_verifier=ISSUER.verifier)
    async with running(svc.runtime):
        yield svc


@pytest.mark.parametrize("anonymous_first", [True, False])
async def test_a_signed_in_page_never_leaks_into_the_anonymous_cache_nor_the_reverse(
    signed_in_portal: PortalService, anonymous_first: bool
) -> None:
    a: UUID = uuid4()
    await feed(signed_in_portal, envelope(registered(snapshot(a))))
    token = ISSUER.token("ipe", ["brand"], subject="buyer-1", email="buyer@brand.example")
    async with client(signed_in_portal.site) as site:

        async def anonymous() -> Any:
            site.cookies.clear()
            return await site.get(f"/enterprises/{a}")

        async def signed() -> Any:
            site.cookies.clear()
            site.cookies.set(SESSION_COOKIE, token)
            return await site.get(f"/enterprises/{a}")

        if anonymous_first:
            public, personal = await anonymous(), await signed()
        else:
            personal, public = await signed(), await anonymous()
        again = await anonymous()
    for page in (public, again):
        assert "buyer@brand.example" not in page.text
        assert "/workspace/following" not in page.text
        assert "csrf_token" not in page.text
        assert "etag" in page.headers
    assert public.content == again.content
    assert "buyer@brand.example" in personal.text
    assert 'action="/workspace/following"' in personal.text
    assert personal.headers["cache-control"] == "no-store"
    assert "etag" not in personal.headers
    # The signed-in page is the public page with the personal pieces put in.
    assert personal.text.count('id="record-') == public.text.count('id="record-')


@pytest.mark.integration
async def test_a_status_change_drops_the_listing_of_the_records_stored_type_only(start: Start) -> None:
    a = uuid4()
    record = published(snapshot(a), record_type="accident")
    async with start(page_cache_seconds=60) as svc:
        await feed(svc, envelope(registered(snapshot(a))), envelope(record))
        cache: PageCache = svc.site.state.page_cache
        async with client(svc.site) as site:
            for path in ("/categories/accident", "/categories/inspection_report", f"/enterprises/{a}"):
                assert (await site.get(path)).status_code == 200
            changed = status_changed(record.record_id, a, "explained", datetime.now(UTC))
            await feed(svc, envelope(changed))  # the event names no record type: the stored one is dropped
            assert not cache.holds(records_tag("ipe", "accident"))
            assert not cache.holds(enterprise_tag("ipe", a))
            assert cache.holds(records_tag("ipe", "inspection_report"))


@pytest.mark.integration
async def test_the_enterprise_page_reads_the_same_rows_through_asyncpg_as_through_sqlalchemy(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = uuid4()
    company = snapshot(a)
    record = published(company)
    other = published(company, record_type="accident", explainable=False, issued_on=date(2019, 1, 1))
    explanation = explanation_published(record.record_id, a)
    document = document_published(a, record_ids=[record.record_id, other.record_id], category="discharge_permit")
    rendered = pdf_rendered(a, explanation.submission_id)
    signed = document_published(a, kind="signed-explanation", submission_id=explanation.submission_id)
    async with start() as svc:
        await feed(
            svc, *(envelope(e) for e in (registered(company), record, other, explanation, document, rendered, signed))
        )
        async with svc.runtime.engine.connect() as connection:
            direct = await page_rows(connection, "ipe", a, today=date(2020, 3, 20))
            assert await page_rows(connection, "ipe", uuid4(), today=date(2020, 3, 20)) is None
            monkeypatch.setattr(type(connection.dialect), "name", "another database")  # the portable path
            portable = await page_rows(connection, "ipe", a, today=date(2020, 3, 20))
            assert await page_rows(connection, "ipe", uuid4(), today=date(2020, 3, 20)) is None
            monkeypatch.undo()
    assert direct is not None
    assert portable is not None
    assert direct == portable
    assert [r["display_status"] for r in direct.records] == ["overdue", "published"]
    assert [d["document_number"] for d in direct.documents if d["kind"] == "signed-explanation"] == [
        rendered.document_number
    ]
    assert {str(r) for d in direct.documents for r in d["record_ids"]} >= {str(record.record_id)}
