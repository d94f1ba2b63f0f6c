"""A service's composition root: database, transport, outbox relay, consumer, background loops."""

import asyncio
import importlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import structlog
from fastapi import Depends, Request
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_shared.auth import HttpJwks, TokenVerifier
from bluemap_shared.db import SessionMaker, create_engine, create_sessionmaker, ping, utcnow
from bluemap_shared.events.catalog import TOPICS
from bluemap_shared.messaging.claimcheck import ClaimChecks
from bluemap_shared.messaging.inbox import EventConsumer
from bluemap_shared.messaging.models import DeadLetter, InboxMessage, OutboxMessage
from bluemap_shared.messaging.outbox import OutboxRelay
from bluemap_shared.messaging.transport import Transport, dead_letter_topic
from bluemap_shared.metrics import ServiceMetrics
from bluemap_shared.migrations import upgrade_to_head
from bluemap_shared.offboarding import TenantData
from bluemap_shared.retention import RetentionLoop, RetentionPolicy, older_than
from bluemap_shared.settings import ServiceSettings
from bluemap_shared.storage import S3Storage
from bluemap_shared.tracing import instrument_engine, tracer_provider

log = structlog.get_logger()

Check = Callable[[], Awaitable[None]]
RELAY_HEARTBEAT_SECONDS = 5.0


@dataclass
class ServiceRuntime:
    """Everything one service needs at run time, built once by its bootstrap()."""

    name: str
    package: str
    settings: ServiceSettings
    engine: AsyncEngine
    sessionmaker: SessionMaker
    transport: Transport
    relay: OutboxRelay
    consumer: EventConsumer
    token_verifier: TokenVerifier
    tracer_provider: TracerProvider
    retention: RetentionLoop
    tenant_data: TenantData
    readiness: dict[str, Check] = field(default_factory=dict)
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_start: list[Check] = field(default_factory=list)
    # Checks whose failure leaves the service ready: reads and writes go on while the broker is
    # away (the outbox keeps what is written); /readyz still names it.
    optional_readiness: set[str] = field(default_factory=lambda: {"broker"})
    # Set on SIGTERM: readiness fails, event streams end with a retry hint, loops finish their batch.
    draining: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # Loops that finish their batch on stop, rather than being cancelled in it: (relays, consumers).
    _finishing: tuple[list[asyncio.Task[None]], list[asyncio.Task[None]]] = field(default_factory=lambda: ([], []))

    @classmethod
    def build(
        cls,
        name: str,
        package: str,
        settings: ServiceSettings,
        transport: Transport,
        *,
        token_verifier: TokenVerifier | None = None,
    ) -> "ServiceRuntime":
        url = settings.database_url or settings.sqlite_url(name)
        engine = create_engine(url, pool=settings.database_pool())
        tracing = tracer_provider(name)
        instrument_engine(engine, tracing)
        metrics = ServiceMetrics(name)
        claim_storage = settings.claim_check_storage()
        claim_checks = (
            ClaimChecks(claim_storage, inline_bytes=settings.claim_check_inline_bytes) if claim_storage else None
        )
        sessionmaker = create_sessionmaker(engine, service=name, max_event_bytes=settings.max_event_bytes)
        runtime = cls(
            name=name,
            package=package,
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            transport=transport,
            relay=OutboxRelay(
                name,
                sessionmaker,
                transport,
                batch_size=settings.outbox_batch_size,
                poll_interval=settings.outbox_poll_interval,
                listen_dsn=engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
                if engine.dialect.name == "postgresql"
                else None,
                metrics=metrics,
                claim_checks=claim_checks,
            ),
            consumer=EventConsumer(
                name,
                sessionmaker,
                transport,
                max_attempts=settings.consumer_max_attempts,
                backoff_seconds=settings.consumer_backoff_seconds,
                metrics=metrics,
                claim_checks=claim_checks,
                tracer_provider=tracing,
            ),
            tracer_provider=tracing,
            retention=RetentionLoop(
                sessionmaker,
                messaging_retention(settings),
                interval_seconds=settings.retention_interval_seconds,
                metrics=metrics,
            ),
            tenant_data=tenant_data_of(package),
            token_verifier=token_verifier
            or TokenVerifier(
                HttpJwks(settings.jwks_url), issuer=settings.token_issuer, audience=settings.token_audience
            ),
        )
        runtime.background.append(runtime.retention.run)
        runtime.readiness["database"] = lambda: ping(engine)
        runtime.readiness["broker"] = transport.ping
        metrics.sample_with(runtime._sample_messaging)
        if claim_storage is not None:
            runtime.readiness["claim-checks"] = claim_storage.ping
            if isinstance(claim_storage, S3Storage):
                runtime.on_start.append(claim_storage.ensure_bucket)
        return runtime

    @property
    def metrics(self) -> ServiceMetrics:
        return self.consumer.metrics

    async def _sample_messaging(self) -> None:
        """Outbox backlog and the age of its oldest row; dead letters waiting (not replayed) per consumer."""
        outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
        letters = DeadLetter.__table__  # type: ignore[attr-defined]
        async with self.engine.connect() as connection:
            backlog, oldest = (
                await connection.execute(
                    select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
                )
            ).one()
            kept = (
                await connection.execute(
                    select(letters.c.consumer, func.count())
                    .where(letters.c.replayed_at.is_(None))
                    .group_by(letters.c.consumer)
                )
            ).all()
        self.metrics.outbox_backlog.set(backlog)
        # min() keeps the column's type, so the value comes back aware (UTCDateTime), SQLite included.
        self.metrics.outbox_oldest_age.set((utcnow() - oldest).total_seconds() if oldest is not None else 0)
        # Zero when all were replayed, so a replay clears the alert.
        waiting = {self.consumer.name: 0, **dict(kept)}
        for consumer, count in waiting.items():
            self.metrics.dead_letters.labels(consumer).set(count)

    @property
    def database_url(self) -> str:
        return self.settings.database_url or self.settings.sqlite_url(self.name)

    async def migrate(self) -> None:
        await upgrade_to_head(self.package, self.database_url)

    async def prepare(self) -> None:
        """Migrate, make sure topics exist, run start hooks; no loops yet."""
        await self.migrate()
        own_topic = f"bluemap.{self.name}"
        topics = set(self.consumer.topics) | {dead_letter_topic(self.name)}
        if own_topic in TOPICS:
            topics.add(own_topic)
        await self.transport.ensure_topics(topics)
        for hook in self.on_start:
            await hook()

    def start_consumer(self) -> None:
        self._finishing[1].append(self._spawn(self.consumer.run, "consumer"))

    def start_relay_and_background(self) -> None:
        if self.settings.outbox_relay_in_process:
            self._finishing[0].append(self._spawn(self.relay.run, "relay"))
        for loop in self.background:
            self._spawn(loop, getattr(loop, "__name__", "background"))

    def _spawn(self, loop: Callable[[], Awaitable[None]], what: str) -> asyncio.Task[None]:
        async def guarded() -> None:
            while True:
                try:
                    await loop()
                    return
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # A loop that dies silently stops a service without anyone noticing.
                    log.exception("runtime.loop_crashed", service=self.name, loop=what)
                    await asyncio.sleep(1.0)

        task = asyncio.create_task(guarded(), name=f"{self.name}.{what}")
        self._tasks.append(task)
        return task

    async def relay_only(self) -> None:
        """Publish this service's outbox until stop_after_batch() or cancellation (the `relay` command).

        Woken by commits of every process.
        """
        await self.transport.start()
        try:
            relay = self._spawn(lambda: self.relay.run(in_process=False), "relay")
            self._finishing[0].append(relay)
            self._spawn(self._beat, "heartbeat")
            log.info("service.relay_started", service=self.name, heartbeat=str(self.relay_heartbeat))
            await relay
        finally:
            await self.stop()
            await self.transport.stop()

    @property
    def relay_heartbeat(self) -> Path:
        """A `relay` process has no HTTP port: its health check reads this file's age instead."""
        return Path(tempfile.gettempdir()) / f"bluemap-{self.name}-relay.alive"

    async def _beat(self) -> None:
        while True:
            self.relay_heartbeat.touch()
            await asyncio.sleep(RELAY_HEARTBEAT_SECONDS)

    def begin_draining(self) -> None:
        """Fail readiness and end event streams; requests in flight go on."""
        if not self.draining.is_set():
            log.info("service.draining", service=self.name)
        self.draining.set()

    async def stop(self, *, grace: float | None = None) -> None:
        """Let the relay publish and the consumer commit the batch in hand (within grace), then cancel the rest.

        The relay stops first: in the embedded default it hands events to this process's consumers.
        """
        self.begin_draining()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.settings.shutdown_grace_seconds if grace is None else grace)
        relays, consumers = self._finishing
        self.relay.stop_after_batch()
        if relays:
            await asyncio.wait(relays, timeout=max(0.0, deadline - loop.time()))
        self.consumer.stop_fetching()
        if consumers:
            await asyncio.wait(consumers, timeout=max(0.0, deadline - loop.time()))
        relays.clear()
        consumers.clear()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.engine.dispose()

    async def readiness_report(self) -> tuple[int, dict[str, object]]:
        """The /readyz answer: 503 while draining or when a required dependency is down."""
        checks = await self.check_readiness()
        failed = {name for name, outcome in checks.items() if outcome != "ok"}
        if self.draining.is_set():
            status, code = "draining", 503
        elif failed - self.optional_readiness:
            status, code = "unavailable", 503
        else:
            status, code = ("degraded" if failed else "ready"), 200
        return code, {"status": status, "service": self.name, "checks": checks, "down": sorted(failed)}

    async def check_readiness(self) -> dict[str, str]:
        results: dict[str, str] = {}
        for name, check in self.readiness.items():
            try:
                await asyncio.wait_for(check(), timeout=5)
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"error: {type(exc).__name__}: {exc}"[:300]
        return results


def tenant_data_of(package: str) -> TenantData:
    """The tenant-scoped tables of a service package (its models' TABLES, less its TENANT_FREE ones)."""
    models = importlib.import_module(f"{package}.models")
    return TenantData.of(models.TABLES, tenant_free=getattr(models, "TENANT_FREE", ()))


def messaging_retention(settings: ServiceSettings) -> list[RetentionPolicy]:
    """The kernel's tables every service has: outbox rows once published, inbox rows, dead letters once replayed."""
    outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
    inbox = InboxMessage.__table__  # type: ignore[attr-defined]
    letters = DeadLetter.__table__  # type: ignore[attr-defined]
    policies = []
    if settings.retention_outbox_days is not None:
        keep = timedelta(days=settings.retention_outbox_days)
        policies.append(RetentionPolicy("outbox", outbox, keep, older_than(outbox, "published_at")))
    if settings.retention_inbox_days is not None:
        keep = timedelta(days=settings.retention_inbox_days)
        policies.append(RetentionPolicy("inbox", inbox, keep, older_than(inbox, "handled_at")))
    if settings.retention_dead_letters_days is not None:
        keep = timedelta(days=settings.retention_dead_letters_days)
        policies.append(RetentionPolicy("dead_letters", letters, keep, older_than(letters, "replayed_at")))
    return policies


@asynccontextmanager
async def running(*runtimes: ServiceRuntime) -> AsyncIterator[None]:
    """Start services sharing one transport: every consumer subscribes before any relay sends."""
    started: list[ServiceRuntime] = []
    try:
        for runtime in runtimes:
            await runtime.prepare()
        for runtime in runtimes:
            runtime.start_consumer()
            started.append(runtime)
        await asyncio.sleep(0)
        for runtime in runtimes:
            runtime.start_relay_and_background()
        yield
    finally:
        # Every relay ends its batch before any consumer stops: on the in-process bus a relay hands
        # events straight to the other services' consumers, and one that left would miss them.
        for runtime in started:
            runtime.relay.stop_after_batch()
        relays = [task for runtime in started for task in runtime._finishing[0]]
        if relays:
            await asyncio.wait(relays, timeout=max(r.settings.shutdown_grace_seconds for r in started))
        for runtime in reversed(started):
            await runtime.stop()


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the endpoint returns, rolled back if it raises."""
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.sessionmaker() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]


def get_runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]
