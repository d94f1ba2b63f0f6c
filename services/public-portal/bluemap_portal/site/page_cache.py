"""Rendered public pages kept while their data stays the same, so a busy page is rendered once, not once per visitor.

Any transaction of this process that writes to the portal's database (the consumer projecting an event,
mostly) drops every entry when it commits, so this process never serves a page older than what it has
written. On PostgreSQL the transaction also sends a NOTIFY, and every replica listening on its own
connection drops its pages too: while that connection is up, an entry lives `shared_seconds`; while it
is down (or on SQLite, where there is one process), `seconds`, the most another writer's data may lag.
After expiry the first request renders again while the others still get the previous copy; requests
that find no usable copy wait for the render in flight instead of starting their own. Only successful
renders are kept; an exception reaches every request that waited for it.
"""

import asyncio
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session

log = structlog.get_logger()

_WROTE = "bluemap_portal.site.page_cache.wrote"
CHANNEL = "bluemap_portal_pages"
_NOTIFY = text("SELECT pg_notify(:channel, :origin)")
LISTENER_NAME = "bluemap-portal-page-cache"  # application_name of the listening connection
_PROBE = "probe:"  # payload prefix of a listener's check of its own connection; drops nothing


@dataclass
class _Entry:
    body: bytes
    generation: int
    expires_at: float
    refreshing: bool = False


class PageCache:
    """Bodies of rendered pages by key, bounded in bytes, least recently used dropped first."""

    def __init__(self, seconds: float, *, shared_seconds: float = 0.0, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.seconds = seconds
        self.shared_seconds = max(seconds, shared_seconds)
        self.max_bytes = max_bytes
        self.hears_every_writer = False  # set while the NOTIFY listener is connected
        self.origin = uuid.uuid4().hex  # what this cache's own commits notify: it has dropped its pages already
        self.generation = 0
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._bytes = 0
        self._in_flight: dict[Hashable, tuple[int, asyncio.Future[bytes]]] = {}

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def lifetime(self) -> float:
        """How long a new entry stays fresh: long while every writer's commits reach this cache."""
        return self.shared_seconds if self.hears_every_writer else self.seconds

    def invalidate(self) -> None:
        """Drop every page: the data they were rendered from changed."""
        self.generation += 1
        self._entries.clear()
        self._bytes = 0

    def fresh(self, key: Hashable) -> bytes | None:
        """The page's body if the cache holds it fresh (or being rendered again), else None; never renders."""
        entry = self._entries.get(key)
        if entry is None or entry.generation != self.generation:
            return None
        if entry.refreshing or time.monotonic() < entry.expires_at:
            self._entries.move_to_end(key)
            return entry.body
        return None

    async def get_or_render(self, key: Hashable, render: Callable[[], Awaitable[bytes]]) -> bytes:
        """The page's body from the cache, from the render in flight, or rendered by this call."""
        if not self.enabled:
            return await render()
        generation = self.generation
        body = self.fresh(key)
        if body is not None:
            return body
        entry = self._entries.get(key)
        if entry is not None and entry.generation == generation:
            entry.refreshing = True  # expired: this request renders, the others keep getting this copy
        else:
            flight = self._in_flight.get(key)
            if flight is not None and flight[0] == generation:
                try:
                    return await asyncio.shield(flight[1])
                except asyncio.CancelledError:
                    task = asyncio.current_task()
                    if task is not None and task.cancelling():
                        raise
                    return await render()  # the request rendering it was cancelled, not this one
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = (generation, future)
        try:
            body = await render()
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody may be waiting
            raise
        except BaseException:
            future.cancel()
            raise
        finally:
            if entry is not None:
                entry.refreshing = False
            if key in self._in_flight and self._in_flight[key][1] is future:
                del self._in_flight[key]
        future.set_result(body)
        # Rendered from data read after `generation` was current; an invalidation since makes it stale.
        if generation == self.generation:
            self._store(key, body, generation)
        return body

    def _store(self, key: Hashable, body: bytes, generation: int) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        if len(body) > self.max_bytes:
            return
        self._entries[key] = _Entry(body, generation, time.monotonic() + self.lifetime)
        self._bytes += len(body)
        while self._bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= len(dropped.body)


# Sessions of every engine in the process go through these listeners; each engine's cache is found here.
_caches: "weakref.WeakKeyDictionary[Engine, PageCache]" = weakref.WeakKeyDictionary()
_listening = False


def _mark_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[_WROTE] = True


def _mark_flush(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


def _before_commit(session: Session) -> None:
    if session.info.get(_WROTE):
        bind = session.get_bind()
        cache = _caches.get(bind) if isinstance(bind, Engine) else None
        if cache is not None and bind.dialect.name == "postgresql":
            # Delivered to the listeners when, and only if, this commits.
            session.execute(_NOTIFY, {"channel": CHANNEL, "origin": cache.origin})


def _after_commit(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        bind = session.bind
        cache = _caches.get(bind) if isinstance(bind, Engine) else None
        if cache is not None:
            cache.invalidate()


def _after_rollback(session: Session) -> None:
    session.info.pop(_WROTE, None)


def invalidate_on_writes(cache: PageCache, engine: Engine) -> None:
    """Drop the cache's pages whenever a transaction that wrote through engine commits."""
    global _listening
    _caches[engine] = cache
    if not _listening:
        event.listen(Session, "do_orm_execute", _mark_write)
        event.listen(Session, "after_flush", _mark_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda session, _previous: _after_rollback(session))
        _listening = True


async def hear_every_writer(cache: PageCache, engine: Engine, *, check_every: float = 5.0) -> None:
    """Drop the cache's pages whenever any process commits a write to engine's PostgreSQL database.

    One connection LISTENs. Every `check_every` seconds it sends itself a probe and must hear it
    within that long: a dead connection, or a pooler that does not pass notifications on (pgbouncer
    in transaction mode), is noticed within twice that. Whenever the probe is not heard, the cache
    keeps pages only its short lifetime.
    """
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    probes: dict[str, asyncio.Event] = {}
    while True:
        connection: asyncpg.Connection | None = None
        try:
            connection = listening = await asyncio.wait_for(
                asyncpg.connect(dsn, server_settings={"application_name": LISTENER_NAME}), timeout=check_every
            )
            await listening.add_listener(CHANNEL, lambda *notified: _heard(cache, notified[-1], probes))
            listening.add_termination_listener(lambda _connection: _deaf(cache))
            while not listening.is_closed():
                probe = f"{_PROBE}{uuid.uuid4().hex}"
                heard = probes[probe] = asyncio.Event()
                await asyncio.wait_for(listening.execute(f"NOTIFY {CHANNEL}, '{probe}'"), timeout=check_every)
                await asyncio.wait_for(heard.wait(), timeout=check_every)
                del probes[probe]
                if not cache.hears_every_writer:
                    cache.invalidate()  # commits while nobody listened
                    cache.hears_every_writer = True
                    log.info("portal.page_cache.listening", channel=CHANNEL)
                await asyncio.sleep(check_every)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("portal.page_cache.listener_lost", error=f"{type(exc).__name__}: {exc}"[:300])
        finally:
            _deaf(cache)
            probes.clear()
            if connection is not None:
                connection.terminate()
        await asyncio.sleep(check_every)


def _heard(cache: PageCache, payload: object, probes: dict[str, asyncio.Event]) -> None:
    if isinstance(payload, str) and payload.startswith(_PROBE):
        if payload in probes:  # every listener gets every probe; each waits for its own
            probes[payload].set()
    elif payload != cache.origin:
        cache.invalidate()


def _deaf(cache: PageCache) -> None:
    if cache.hears_every_writer:
        cache.hears_every_writer = False
        cache.invalidate()  # kept as long as a writer could have gone unheard
