"""Rendered public pages kept while their data stays the same, so a busy page is rendered once, not once per visitor.

Every page carries tags naming the data it shows (`enterprise_tag`, `records_tag`, `DIRECTORY`, `RECENT`).
A transaction that writes to the portal's database says what it changed with `touch_pages(...)`; when it
commits, this process drops the pages with those tags, and on PostgreSQL the transaction also sends a
NOTIFY carrying the tags, so every replica listening on its own connection drops the same pages. A
transaction that writes without saying what it changed drops every page (the safe default). While the
listening connection is up, an entry lives `shared_seconds`; while it is down (or on SQLite, where there is
one process), `seconds`, the most another writer's data may lag. After expiry the first request renders
again while the others still get the previous copy; requests that find no usable copy wait for the render
in flight instead of starting their own. Only successful renders are kept; an exception reaches every
request that waited for it. A render is not kept when a commit touched one of its tags while it ran.
"""

import asyncio
import hashlib
import json
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

log = structlog.get_logger()

_WROTE = "bluemap_portal.site.page_cache.wrote"
_TOUCHED = "bluemap_portal.site.page_cache.touched"
CHANNEL = "bluemap_portal_pages"
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")
LISTENER_NAME = "bluemap-portal-page-cache"  # application_name of the listening connection
_PROBE = "probe:"  # payload prefix of a listener's check of its own connection; drops nothing
# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; a notice with more tags drops every page.
MAX_PAYLOAD = 7900
# Tags touched lately, kept to refuse renders that ran across their commit; beyond this many, every render
# in flight is refused instead.
MAX_TOUCHED = 100_000


def enterprise_tag(tenant_id: str, enterprise_id: UUID | str) -> str:
    """Pages that show this enterprise's data: its page and feed, and listings that show it."""
    return f"{tenant_id}:enterprise:{enterprise_id}"


def records_tag(tenant_id: str, record_type: str) -> str:
    """Listings and feeds of one category: a record type, or enterprise_feedback."""
    return f"{tenant_id}:records:{record_type}"


def directory_tag(tenant_id: str) -> str:
    """Which enterprises exist, their names and regions: search results, region filters, names in listings."""
    return f"{tenant_id}:directory"


def recent_tag(tenant_id: str) -> str:
    """The home page's most recently updated enterprises: any enterprise's update reorders it."""
    return f"{tenant_id}:recent"


def history_tag(tenant_id: str) -> str:
    """Pages of the public history log: its entries and the latest signed head."""
    return f"{tenant_id}:history"


def touch_pages(
    session: Session | AsyncSession,
    tenant_id: str,
    *,
    enterprise_ids: Iterable[UUID] = (),
    record_types: Iterable[str] = (),
    directory: bool = False,
    recent: bool = False,
    history: bool = False,
) -> None:
    """Say what this transaction changed: when it commits, exactly the pages showing it are dropped.

    enterprise_ids: enterprises whose public data (names, records, explanations, documents) changed;
    record_types: categories whose listings changed (a record of that type; "enterprise_feedback" for
    explanations and documents); directory: an enterprise was added, renamed or moved to another region;
    recent: an enterprise's last update time moved (the home page lists the latest); history: the public history
    log grew or signed a head. Call it as often as
    needed in one transaction, e.g. once per batch with every enterprise of the batch.
    """
    tags: set[str] = session.info.setdefault(_TOUCHED, set())
    tags.update(enterprise_tag(tenant_id, e) for e in enterprise_ids)
    tags.update(records_tag(tenant_id, t) for t in record_types)
    if directory:
        tags.add(directory_tag(tenant_id))
    if recent:
        tags.add(recent_tag(tenant_id))
    if history:
        tags.add(history_tag(tenant_id))


# A tag no page carries: a transaction that says only this changes no page (ended sessions, ...).
NO_PAGE_TAG = "no-page"


def touch_no_pages(session: Session | AsyncSession) -> None:
    """Say this transaction writes nothing a page shows, so committing it drops no page."""
    session.info.setdefault(_TOUCHED, set()).add(NO_PAGE_TAG)


def etag_of(body: bytes) -> str:
    """A strong validator of a page's bytes: it changes exactly when the page does."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


@dataclass(frozen=True)
class Page:
    """A rendered page with its validators (ETag, Last-Modified as a Unix time) and the tags of its data."""

    body: bytes
    tags: frozenset[str]
    etag: str
    last_modified: float


@dataclass
class _Entry:
    page: Page
    expires_at: float
    refreshing: bool = False


@dataclass
class _Validators:
    """The key's last ETag and since when it has been the page (kept after the entry is dropped)."""

    etag: str
    since: float = field(default_factory=time.time)


class PageCache:
    """Rendered pages by key, bounded in bytes, least recently used dropped first; dropped by tag."""

    def __init__(self, seconds: float, *, shared_seconds: float = 0.0, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.seconds = seconds
        self.shared_seconds = max(seconds, shared_seconds)
        self.max_bytes = max_bytes
        self.hears_every_writer = False  # set while the NOTIFY listener is connected
        self.origin = uuid.uuid4().hex  # what this cache's own commits notify: it has dropped its pages already
        self.generation = 0  # counts invalidations
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._by_tag: dict[str, set[Hashable]] = {}
        self._bytes = 0
        self._in_flight: dict[Hashable, tuple[int, asyncio.Future[Page]]] = {}
        self._touched: dict[str, int] = {}  # tag -> generation of its latest invalidation
        self._floor = 0  # renders started before this generation are not kept
        self._validators: OrderedDict[Hashable, _Validators] = OrderedDict()
        # Called when every page drops (a commit that named no tags: a tenant's settings changed, for one),
        # so what pages read besides the data (the tenant directory) is read again before pages are.
        self.on_drop_everything: list[Callable[[], None]] = []

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def __len__(self) -> int:
        return len(self._entries)

    def holds(self, tag: str) -> bool:
        """Whether some kept page shows data of the tag."""
        return bool(self._by_tag.get(tag))

    @property
    def lifetime(self) -> float:
        """How long a new entry stays fresh: long while every writer's commits reach this cache."""
        return self.shared_seconds if self.hears_every_writer else self.seconds

    def invalidate(self, tags: Collection[str] | None = None) -> None:
        """Drop the pages with any of the tags (every page for None): the data they show changed."""
        self.generation += 1
        if tags is None:
            for listener in self.on_drop_everything:
                listener()
            self._floor = self.generation
            self._touched.clear()
            self._entries.clear()
            self._by_tag.clear()
            self._bytes = 0
            return
        if len(self._touched) + len(tags) > MAX_TOUCHED:
            self._floor = self.generation
            self._touched.clear()
        for tag in tags:
            self._touched[tag] = self.generation
            for key in self._by_tag.pop(tag, ()):
                self._drop(key)

    def fresh(self, key: Hashable) -> Page | None:
        """The page if the cache holds it fresh (or being rendered again), else None; never renders."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.refreshing or time.monotonic() < entry.expires_at:
            self._entries.move_to_end(key)
            return entry.page
        return None

    async def get_or_render(self, key: Hashable, render: Callable[[], Awaitable[tuple[bytes, Iterable[str]]]]) -> Page:
        """The page from the cache, from the render in flight, or rendered by this call (body and tags)."""
        generation = self.generation
        page = self.fresh(key) if self.enabled else None
        if page is not None:
            return page
        entry = self._entries.get(key)
        if entry is not None:
            entry.refreshing = True  # expired: this request renders, the others keep getting this copy
        elif self.enabled:
            flight = self._in_flight.get(key)
            if flight is not None and flight[0] == generation:
                try:
                    return await asyncio.shield(flight[1])
                except asyncio.CancelledError:
                    task = asyncio.current_task()
                    if task is not None and task.cancelling():
                        raise
                    return self._validated(key, *(await render()))  # the request rendering it was cancelled
        future: asyncio.Future[Page] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = (generation, future)
        try:
            page = self._validated(key, *(await render()))
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
        future.set_result(page)
        # Rendered from data read after `generation` was current; a commit touching its tags since makes it stale.
        if self.enabled and not self._stale(page.tags, generation):
            self._store(key, page)
        return page

    def _stale(self, tags: Iterable[str], generation: int) -> bool:
        return generation < self._floor or any(self._touched.get(tag, -1) > generation for tag in tags)

    def _validated(self, key: Hashable, body: bytes, tags: Iterable[str]) -> Page:
        """The page with its ETag, and since when the key has shown exactly this body (Last-Modified)."""
        etag = etag_of(body)
        known = self._validators.get(key)
        if known is None or known.etag != etag:
            # A second later than the previous version at least: Last-Modified counts whole seconds.
            since = time.time() if known is None else max(time.time(), known.since + 1.0)
            known = self._validators[key] = _Validators(etag, since)
            if len(self._validators) > 4 * max(1, len(self._entries)) + 10_000:
                self._validators.popitem(last=False)
        self._validators.move_to_end(key)
        return Page(body, frozenset(tags), etag, known.since)

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self._bytes -= len(entry.page.body)
        for tag in entry.page.tags:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_tag[tag]

    def _store(self, key: Hashable, page: Page) -> None:
        self._drop(key)
        if len(page.body) > self.max_bytes:
            return
        self._entries[key] = _Entry(page, time.monotonic() + self.lifetime)
        self._bytes += len(page.body)
        for tag in page.tags:
            self._by_tag.setdefault(tag, set()).add(key)
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))


# Sessions of every engine in the process go through these listeners; each engine's cache is found here.
_caches: "weakref.WeakKeyDictionary[Engine, PageCache]" = weakref.WeakKeyDictionary()
_listening = False


def _mark_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[_WROTE] = True


def _mark_flush(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


def _changed(session: Session) -> tuple[bool, list[str] | None]:
    """Whether the transaction changes pages, and which tags (None: it wrote without saying, so every page)."""
    touched: set[str] | None = session.info.get(_TOUCHED)
    if touched:
        return True, sorted(touched)
    return bool(session.info.get(_WROTE)), None


def notice(origin: str, tags: list[str] | None) -> str:
    """The NOTIFY payload: who committed and which tags changed (null: everything, also when too many)."""
    payload = json.dumps({"origin": origin, "tags": tags}, separators=(",", ":"))
    if len(payload.encode()) > MAX_PAYLOAD:
        payload = json.dumps({"origin": origin, "tags": None}, separators=(",", ":"))
    return payload


def _before_commit(session: Session) -> None:
    changes, tags = _changed(session)
    if changes:
        bind = session.get_bind()
        cache = _caches.get(bind) if isinstance(bind, Engine) else None
        if cache is not None and bind.dialect.name == "postgresql":
            # Delivered to the listeners when, and only if, this commits.
            session.execute(_NOTIFY, {"channel": CHANNEL, "payload": notice(cache.origin, tags)})


def _after_commit(session: Session) -> None:
    changes, tags = _changed(session)
    _after_rollback(session)
    if changes:
        bind = session.bind
        cache = _caches.get(bind) if isinstance(bind, Engine) else None
        if cache is not None:
            cache.invalidate(tags)


def _after_rollback(session: Session) -> None:
    session.info.pop(_WROTE, None)
    session.info.pop(_TOUCHED, None)


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
        return
    origin, tags = _parsed(payload)
    if origin != cache.origin:
        cache.invalidate(tags)


def _parsed(payload: object) -> tuple[object, list[str] | None]:
    """A notice's origin and tags; anything else (a bare origin from an older replica) drops every page."""
    try:
        notified = json.loads(payload) if isinstance(payload, str) else None
    except ValueError:
        notified = None
    if not isinstance(notified, dict):
        return payload, None
    tags = notified.get("tags")
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        tags = None
    return notified.get("origin"), tags


def _deaf(cache: PageCache) -> None:
    if cache.hears_every_writer:
        cache.hears_every_writer = False
        cache.invalidate()  # kept as long as a writer could have gone unheard
