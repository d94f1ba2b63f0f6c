"""The page cache of the public site: freshness, invalidation, one render at a time per page."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from portal_testing import Start, client, envelope, published, registered, snapshot
from sqlalchemy import text

from bluemap_portal.bootstrap import bootstrap
from bluemap_portal.settings import PortalSettings
from bluemap_portal.site.page_cache import CHANNEL, LISTENER_NAME, Page, PageCache, hear_every_writer
from bluemap_portal.workspace.session import SESSION_COOKIE
from bluemap_shared.db import create_engine
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.runtime import running


class Renders:
    def __init__(self, *tags: str) -> None:
        self.count = 0
        self.tags = tags
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> tuple[bytes, Iterable[str]]:
        self.count += 1
        await self.gate.wait()
        return f"page {self.count}".encode(), self.tags


async def body(cache: PageCache, key: str, render: Callable[[], Awaitable[tuple[bytes, Iterable[str]]]]) -> bytes:
    """The page's body from the cache or the render."""
    return (await cache.get_or_render(key, render)).body


async def test_a_fresh_page_is_rendered_once() -> None:
    cache, render = PageCache(60), Renders()
    assert await body(cache, "k", render) == b"page 1"
    assert await body(cache, "k", render) == b"page 1"
    assert await body(cache, "other", render) == b"page 2"


async def test_invalidation_drops_every_page() -> None:
    cache, render = PageCache(60), Renders()
    await cache.get_or_render("k", render)
    cache.invalidate()
    assert await body(cache, "k", render) == b"page 2"


async def test_disabled_renders_every_time() -> None:
    cache, render = PageCache(0), Renders()
    await cache.get_or_render("k", render)
    assert await body(cache, "k", render) == b"page 2"


async def test_concurrent_misses_share_one_render() -> None:
    cache, render = PageCache(60), Renders()
    render.gate.clear()
    pages = [asyncio.create_task(cache.get_or_render("k", render)) for _ in range(10)]
    await asyncio.sleep(0)
    render.gate.set()
    assert [p.body for p in await asyncio.gather(*pages)] == [b"page 1"] * 10
    assert render.count == 1


async def test_expired_page_is_served_while_one_request_renders_it_again() -> None:
    cache, render = PageCache(0.01), Renders()
    await cache.get_or_render("k", render)
    await asyncio.sleep(0.02)
    render.gate.clear()
    refreshing = asyncio.create_task(cache.get_or_render("k", render))
    await asyncio.sleep(0)
    assert await body(cache, "k", render) == b"page 1"  # the previous copy, no second render
    render.gate.set()
    assert (await refreshing).body == b"page 2"
    assert render.count == 2


async def test_a_page_rendered_across_an_invalidation_is_not_kept() -> None:
    cache, render = PageCache(60), Renders()
    render.gate.clear()
    first = asyncio.create_task(cache.get_or_render("k", render))
    await asyncio.sleep(0)
    cache.invalidate()  # the data changed while the page was being rendered
    render.gate.set()
    assert (await first).body == b"page 1"
    assert await body(cache, "k", render) == b"page 2"


async def test_a_failed_render_reaches_its_waiters_and_is_not_kept() -> None:
    cache = PageCache(60)
    gate = asyncio.Event()

    async def failing() -> tuple[bytes, Iterable[str]]:
        await gate.wait()
        raise RuntimeError("database down")

    first = asyncio.create_task(cache.get_or_render("k", failing))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(cache.get_or_render("k", failing))
    await asyncio.sleep(0)
    gate.set()
    for task in (first, waiter):
        with pytest.raises(RuntimeError, match="database down"):
            await task
    assert await body(cache, "k", Renders()) == b"page 1"


async def test_pages_beyond_the_byte_bound_drop_the_least_recently_used() -> None:
    cache = PageCache(60, max_bytes=10)

    async def page(content: bytes) -> tuple[bytes, Iterable[str]]:
        return content, ()

    await cache.get_or_render("a", lambda: page(b"aaaa"))
    await cache.get_or_render("b", lambda: page(b"bbbb"))
    await cache.get_or_render("a", lambda: page(b"AAAA"))  # a is now the most recently used
    await cache.get_or_render("c", lambda: page(b"cccc"))
    assert await body(cache, "a", lambda: page(b"new")) == b"aaaa"
    assert await body(cache, "b", lambda: page(b"new")) == b"new"


@pytest.mark.integration
async def test_a_projected_event_shows_on_the_cached_page_at_once(start: Start) -> None:
    enterprise_id = uuid4()
    company = snapshot(enterprise_id)
    async with start(page_cache_seconds=60) as svc:
        await svc.runtime.consumer.process(envelope(registered(company)).to_message())
        async with client(svc.site) as site:
            before = (await site.get(f"/enterprises/{enterprise_id}")).text
            await svc.runtime.consumer.process(envelope(published(company, source_title="新的处罚决定书")).to_message())
            after = (await site.get(f"/enterprises/{enterprise_id}")).text
            english = (await site.get(f"/enterprises/{enterprise_id}", params={"lang": "en"})).text
    assert "新的处罚决定书" not in before
    assert "新的处罚决定书" in after
    assert 'lang="en"' in english


async def _until(condition: Callable[[], bool], *, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


@pytest.mark.integration
async def test_a_replica_hears_another_replicas_commit_and_drops_its_pages(
    create_database: Callable[[str], Awaitable[str]],
) -> None:
    enterprise_id = uuid4()
    company = snapshot(enterprise_id)
    database_url = await create_database("portal")
    settings: dict[str, Any] = {"database_url": database_url, "log_json": False, "page_cache_seconds": 60}
    projecting = bootstrap(PortalSettings(**settings), InProcessTransport())
    serving = bootstrap(PortalSettings(**settings), InProcessTransport())
    async with running(projecting.runtime), running(serving.runtime):
        cache: PageCache = serving.site.state.page_cache
        await _until(lambda: cache.hears_every_writer)
        assert cache.lifetime == 300
        heard = cache.generation
        await projecting.runtime.consumer.process(envelope(registered(company)).to_message())
        await _until(lambda: cache.generation > heard)
        async with client(serving.site) as site:
            before = (await site.get(f"/enterprises/{enterprise_id}")).text
            assert len(cache) == 1
            await projecting.runtime.consumer.process(
                envelope(published(company, source_title="新的处罚决定书")).to_message()
            )
            await _until(lambda: len(cache) == 0)
            after = (await site.get(f"/enterprises/{enterprise_id}")).text
    assert "新的处罚决定书" not in before
    assert "新的处罚决定书" in after


@pytest.mark.integration
async def test_while_nobody_listens_pages_live_only_the_short_lifetime(
    create_database: Callable[[str], Awaitable[str]],
) -> None:
    database_url = await create_database("portal")
    engine = create_engine(database_url)
    cache = PageCache(2, shared_seconds=300)
    listener = asyncio.create_task(hear_every_writer(cache, engine.sync_engine, check_every=0.2))
    try:
        await _until(lambda: cache.hears_every_writer)
        assert cache.lifetime == 300
        await cache.get_or_render("k", Renders())
        heard = cache.generation
        async with engine.connect() as connection:
            await connection.execute(text("SELECT pg_notify(:c, :o)"), {"c": CHANNEL, "o": cache.origin})
            await connection.execute(text(f"NOTIFY {CHANNEL}, 'another replica'"))
            await connection.commit()
        await _until(lambda: len(cache) == 0)
        assert cache.generation == heard + 1  # its own commit's notice (first in line) is not heard

        await cache.get_or_render("k", Renders())
        async with engine.connect() as connection:
            killed = await connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = :name AND datname = current_database()"  # not other tests' servers
                ),
                {"name": LISTENER_NAME},
            )
        assert killed == 1
        await _until(lambda: not cache.hears_every_writer)
        assert len(cache) == 0  # anything could have been written unheard
        assert cache.lifetime == 2
        await _until(lambda: cache.hears_every_writer)  # and it listens again
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await engine.dispose()


@pytest.mark.integration
async def test_a_fresh_page_is_answered_before_routing_exactly_as_the_route_answers_it(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    enterprise_id = uuid4()
    async with start(page_cache_seconds=60) as svc:
        cache: PageCache = svc.site.state.page_cache
        await _until(lambda: cache.hears_every_writer)  # else it drops the pages when it starts listening
        await svc.runtime.consumer.process(envelope(registered(snapshot(enterprise_id))).to_message())
        async with client(svc.site) as site:
            path = f"/enterprises/{enterprise_id}"
            rendered = {}
            for params in ({}, {"lang": "en"}):
                site.cookies.clear()
                rendered[str(params)] = await site.get(path, params=params)

            routed: list[object] = []
            get_or_render = PageCache.get_or_render

            async def counted(cache: PageCache, key: Any, render: Callable[[], Awaitable[Any]]) -> Page:
                routed.append(key)
                return await get_or_render(cache, key, render)

            monkeypatch.setattr(PageCache, "get_or_render", counted)  # only the route calls it
            for params in ({}, {"lang": "en"}):
                site.cookies.clear()
                cached = await site.get(path, params=params)
                before = rendered[str(params)]
                assert (cached.status_code, cached.content) == (before.status_code, before.content)
                assert sorted(cached.headers.multi_items()) == sorted(before.headers.multi_items())
            assert "lang=en" in cached.headers["set-cookie"]
            assert routed == []
            # With a session cookie the route decides (an invalid one: anonymous, from the cache).
            site.cookies.clear()
            site.cookies.set(SESSION_COOKIE, "not-a-token")
            assert (await site.get(path)).content == rendered["{}"].content
            assert len(routed) == 1


@pytest.mark.integration
async def test_a_listener_that_does_not_hear_its_own_probe_keeps_the_short_lifetime(
    create_database: Callable[[str], Awaitable[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def deaf_listener(*_args: Any) -> None:
        """As behind a pooler in transaction mode: LISTEN seems to work, no notice ever arrives."""

    monkeypatch.setattr(asyncpg.Connection, "add_listener", deaf_listener)
    database_url = await create_database("portal")
    engine = create_engine(database_url)
    cache = PageCache(2, shared_seconds=300)
    listener = asyncio.create_task(hear_every_writer(cache, engine.sync_engine, check_every=0.1))
    try:
        await asyncio.sleep(1.0)  # ten probes' worth
        assert not cache.hears_every_writer
        assert cache.lifetime == 2
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await engine.dispose()
