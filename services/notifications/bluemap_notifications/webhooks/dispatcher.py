"""The loop that POSTs queued webhook deliveries, a bounded number per endpoint and overall."""

import asyncio
import contextlib
import socket
import time
from collections import Counter
from datetime import timedelta
from uuid import UUID

import httpx
import structlog

from bluemap_notifications.webhooks import service
from bluemap_notifications.webhooks.changes import CLOUDEVENTS_JSON
from bluemap_notifications.webhooks.delivery import (
    RESPONSE_EXCERPT_BYTES,
    RefusedTarget,
    RetrySchedule,
    signature_headers,
    signing_secrets,
    target_allowed,
)
from bluemap_notifications.webhooks.models import Delivery, Subscription
from bluemap_notifications.webhooks.repository import WebhookRepository
from bluemap_shared.db import SessionMaker, utcnow

log = structlog.get_logger()

USER_AGENT = "BlueMap-Webhooks/1"
OUTCOMES_PER_TRANSACTION = 200


class WebhookDispatcher:
    """Leases due deliveries, POSTs each signed CloudEvent, and records the attempts, many per transaction.

    Delivery promise: at least once. A delivery is leased (its next attempt moved `lease` ahead) in
    a short transaction, sent outside any transaction, and its outcome written in another (with the
    outcomes that arrived meanwhile, by one recorder task); a crash
    in between leaves it to be sent again when the lease runs out, with the same webhook-id, which
    receivers deduplicate on. The schedule lives in the database (next_attempt_at, retries_used), so
    retries survive restarts for days; an in-process retry library (tenacity) could not keep them.

    A slow or failing endpoint holds at most `per_endpoint` requests, and no database connection
    while they wait, so the other endpoints keep the rest of `concurrency`.
    """

    def __init__(
        self,
        sessionmaker: SessionMaker,
        *,
        schedule: RetrySchedule,
        allow_loopback_http: bool,
        timeout: float = 10.0,
        concurrency: int = 32,
        per_endpoint: int = 4,
        poll_interval: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if concurrency < 1 or per_endpoint < 1:
            raise ValueError("concurrency and per_endpoint must be at least 1")
        self._sessionmaker = sessionmaker
        self._schedule = schedule
        self._allow_loopback_http = allow_loopback_http
        self._timeout = timeout
        # Longer than any attempt can take, so a lease never runs out under a request still under way.
        self._lease = timedelta(seconds=timeout * 2 + 30)
        self._concurrency = concurrency
        self._per_endpoint = per_endpoint
        self._poll_interval = poll_interval
        self._transport = transport
        # Claim again once this many slots are free, not on every finished request: one claim
        # transaction then fills several slots.
        self._claim_threshold = max(1, concurrency // 4)
        self._wakeup = asyncio.Event()
        self._outcomes: asyncio.Queue[tuple[Delivery, service.Outcome] | None] = asyncio.Queue()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._per_subscription: Counter[UUID] = Counter()
        self._client: httpx.AsyncClient | None = None

    def wake(self) -> None:
        """Look for due deliveries now instead of at the next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        """Deliver until cancelled; requests under way are cancelled with it and their leases run out."""
        async with self._open_client():
            recorder = asyncio.create_task(self._record_outcomes())
            try:
                while True:
                    self._wakeup.clear()
                    try:
                        started = await self.dispatch_due()
                    except Exception:
                        log.exception("webhooks.dispatch_failed")
                        started = 0
                    if started and len(self._in_flight) < self._concurrency:
                        continue
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll_interval)
            finally:
                for task in list(self._in_flight):
                    task.cancel()
                await asyncio.gather(*self._in_flight, return_exceptions=True)
                # The outcomes in hand are written, not dropped: between batches, never in one.
                self._outcomes.put_nowait(None)
                await asyncio.gather(recorder, return_exceptions=True)

    async def _record_outcomes(self) -> None:
        """Write the outcomes that arrived meanwhile in one transaction, until told to stop (None)."""
        stopping = False
        while not stopping:
            batch = [await self._outcomes.get()]
            while not self._outcomes.empty() and len(batch) < OUTCOMES_PER_TRANSACTION:
                batch.append(self._outcomes.get_nowait())
            stopping = None in batch
            done = [item for item in batch if item is not None]
            if not done:
                continue
            try:
                async with self._sessionmaker() as session, session.begin():
                    await service.record_outcomes(session, done, schedule=self._schedule, now=utcnow())
            except Exception:
                # Their leases run out and they are sent again: at least once.
                log.exception("webhooks.outcomes_not_recorded", count=len(done))

    @contextlib.asynccontextmanager
    async def _open_client(self):  # type: ignore[no-untyped-def]
        limits = httpx.Limits(max_connections=self._concurrency, max_keepalive_connections=self._concurrency)
        async with httpx.AsyncClient(
            timeout=self._timeout, follow_redirects=False, limits=limits, transport=self._transport
        ) as client:
            self._client = client
            try:
                yield client
            finally:
                self._client = None

    async def dispatch_due(self) -> int:
        """Lease what the free slots allow and start sending it; how many were started."""
        free = self._concurrency - len(self._in_flight)
        if free <= 0:
            return 0
        full = {sid for sid, n in self._per_subscription.items() if n >= self._per_endpoint}
        now = utcnow()
        async with self._sessionmaker() as session, session.begin():
            repository = WebhookRepository(session)
            candidates = await repository.due_candidates(
                now, per_subscription=self._per_endpoint, exclude=full, limit=free
            )
            slots = Counter(self._per_subscription)
            chosen = []
            for delivery_id, subscription_id in candidates:
                if slots[subscription_id] < self._per_endpoint:
                    slots[subscription_id] += 1
                    chosen.append(delivery_id)
            leased = await repository.lease(chosen, now, now + self._lease)
            subscriptions = await repository.subscriptions_by_id({d.subscription_id for d in leased})
            for subscription in subscriptions.values():
                session.expunge(subscription)
        for delivery in leased:
            self._start(delivery, subscriptions[delivery.subscription_id])
        return len(leased)

    def _start(self, delivery: Delivery, subscription: Subscription) -> None:
        self._per_subscription[subscription.id] += 1
        task = asyncio.create_task(self._deliver(delivery, subscription))
        self._in_flight.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._in_flight.discard(finished)
            self._per_subscription[subscription.id] -= 1
            if self._per_subscription[subscription.id] <= 0:
                del self._per_subscription[subscription.id]
            if not self._in_flight or self._concurrency - len(self._in_flight) >= self._claim_threshold:
                self._wakeup.set()

        task.add_done_callback(done)

    async def _deliver(self, delivery: Delivery, subscription: Subscription) -> None:
        with structlog.contextvars.bound_contextvars(delivery_id=str(delivery.id), tenant_id=delivery.tenant_id):
            # Written with others in one transaction; the slot is free for the next request meanwhile.
            self._outcomes.put_nowait((delivery, await self.post(delivery, subscription)))

    async def post(self, delivery: Delivery, subscription: Subscription) -> service.Outcome:
        """One signed POST of the delivery's CloudEvent to the subscription's endpoint."""
        assert self._client is not None, "post() runs inside run()"
        now = utcnow()
        body = delivery.body.encode()
        signing = signing_secrets(
            subscription.secret, subscription.previous_secret, subscription.previous_secret_until, now
        )
        headers = {
            "content-type": CLOUDEVENTS_JSON,
            "user-agent": USER_AGENT,
            **signature_headers(str(delivery.id), body, signing, now),
        }
        started = time.perf_counter()

        def elapsed() -> float:
            return round((time.perf_counter() - started) * 1000, 3)

        try:
            # httpx's timeout bounds each read; this bounds the whole attempt (a body that trickles in).
            async with asyncio.timeout(self._timeout):
                url, extensions = await self._pinned(subscription.url, headers)
                async with self._client.stream(
                    "POST", url, content=body, headers=headers, extensions=extensions
                ) as answer:
                    excerpt = bytearray()
                    async for chunk in answer.aiter_raw():
                        excerpt += chunk
                        if len(excerpt) >= RESPONSE_EXCERPT_BYTES:
                            break
            return service.Outcome(
                attempted_at=now,
                latency_ms=elapsed(),
                status_code=answer.status_code,
                response_excerpt=bytes(excerpt[:RESPONSE_EXCERPT_BYTES]).decode("utf-8", errors="replace"),
            )
        except RefusedTarget as exc:
            return service.Outcome(attempted_at=now, latency_ms=elapsed(), error=f"refused: {exc.detail}")
        except TimeoutError:
            return service.Outcome(attempted_at=now, latency_ms=elapsed(), error=f"timed out after {self._timeout} s")
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            # Anything the endpoint or the network can cause is an attempt that failed, retried on schedule.
            return service.Outcome(attempted_at=now, latency_ms=elapsed(), error=f"{type(exc).__name__}: {exc}"[:500])

    async def _pinned(self, url: str, headers: dict[str, str]) -> tuple[httpx.URL, dict[str, str]]:
        """The URL with its host replaced by a checked address, so DNS cannot point it inside after the check."""
        target = httpx.URL(url)
        if target.host == "127.0.0.1":
            target_allowed(url, ["127.0.0.1"], allow_loopback_http=self._allow_loopback_http)
            return target, {}
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                target.host, target.port or 443, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {target.host}: {exc}") from exc
        address = target_allowed(url, [str(info[4][0]) for info in infos], allow_loopback_http=False)
        headers["host"] = target.netloc.decode("ascii")
        # TLS still checks the certificate against the name, sent as SNI.
        return target.copy_with(host=address), {"sni_hostname": target.host}
