"""Prometheus metrics of one service: HTTP, events, outbox, and the gauges the service samples at scrape time."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = structlog.get_logger()

METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST
Sampler = Callable[[], Awaitable[None]]
M = TypeVar("M", Counter, Gauge, Histogram)
SAMPLE_TIMEOUT_SECONDS = 3.0
# From a cached page (a millisecond) to a PDF render (seconds).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ServiceMetrics:
    """One registry per service, so the five services of the embedded default each answer for their own."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        self._samplers: list[Sampler] = []
        self._made: dict[str, Any] = {}
        self.http_requests = self.counter(
            "bluemap_http_requests", "HTTP requests answered, by route template", ("method", "route", "status")
        )
        self.http_duration = self.histogram(
            "bluemap_http_request_duration_seconds", "Time to answer an HTTP request", ("method", "route")
        )
        self.events_handled = self.counter(
            "bluemap_events_handled", "Events whose effects a consumer committed", ("consumer", "event_type")
        )
        self.events_skipped = self.counter(
            "bluemap_events_duplicates_skipped", "Redelivered events the inbox absorbed", ("consumer",)
        )
        self.events_dead_lettered = self.counter(
            "bluemap_events_dead_lettered", "Events a consumer gave up on", ("consumer", "event_type", "reason")
        )
        self.batch_duration = self.histogram(
            "bluemap_consumer_batch_duration_seconds", "Time to handle and commit a fetched batch", ("consumer",)
        )
        self.consumer_lag = self.gauge(
            "bluemap_consumer_lag", "Messages on a partition not yet handled", ("consumer", "topic", "partition")
        )
        self.outbox_published = self.counter(
            "bluemap_outbox_published_messages", "Messages the relay handed to the broker", ("topic",)
        )
        self.outbox_dead_lettered = self.counter(
            "bluemap_outbox_dead_lettered", "Outbox rows the broker refused for good", ("topic",)
        )
        self.outbox_backlog = self.gauge("bluemap_outbox_backlog", "Outbox rows not yet published", ())
        self.outbox_oldest_age = self.gauge(
            "bluemap_outbox_oldest_unsent_age_seconds", "Age of the oldest unpublished outbox row (0 when none)", ()
        )
        self.dead_letters = self.gauge(
            "bluemap_dead_letters", "Dead letters waiting for a replay, by consumer", ("consumer",)
        )

    def counter(self, name: str, documentation: str, labels: Sequence[str]) -> Counter:
        """The registry's counter of that name, made on first use (so callers need not hold it)."""
        return self._once(name, lambda: Counter(name, documentation, labels, registry=self.registry))

    def gauge(self, name: str, documentation: str, labels: Sequence[str]) -> Gauge:
        return self._once(name, lambda: Gauge(name, documentation, labels, registry=self.registry))

    def histogram(self, name: str, documentation: str, labels: Sequence[str]) -> Histogram:
        return self._once(
            name, lambda: Histogram(name, documentation, labels, buckets=LATENCY_BUCKETS, registry=self.registry)
        )

    def _once(self, name: str, make: Callable[[], M]) -> M:
        existing = self._made.get(name)
        if existing is None:
            existing = self._made[name] = make()
        return existing  # type: ignore[no-any-return]

    def sample_with(self, sampler: Sampler) -> None:
        """Run sampler before each scrape: gauges read from the database (queue lengths, backlogs)."""
        self._samplers.append(sampler)

    async def render(self) -> bytes:
        """The text exposition, after sampling; a sampler that fails leaves its gauges as they were."""
        for sampler in self._samplers:
            try:
                await asyncio.wait_for(sampler(), timeout=SAMPLE_TIMEOUT_SECONDS)
            except Exception as exc:
                log.warning("metrics.sample_failed", service=self.service, sampler=sampler.__name__, error=repr(exc))
        return generate_latest(self.registry)
