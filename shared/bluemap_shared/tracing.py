"""Traces: OpenTelemetry spans per service, exported over OTLP when the standard OTEL_* variables ask for it.

Each service has its own TracerProvider (resource service.name = bluemap-<service>), so the
embedded default's five services show as five services in a trace, as the distributed mode's do.
Spans are recorded only when something exports them (OTEL_TRACES_EXPORTER, or an OTLP endpoint in
OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT; OTEL_SDK_DISABLED=true turns it all off): otherwise requests
and handlers still get trace ids (for logs and the W3C traceparent carried by events) at no cost.

A trace crosses Kafka in the event's `ce_traceparent` attribute: the outbox stamps the current
span's traceparent, the consumer starts its span as that one's child. Work queued in a table (a
render, an email) keeps the traceparent on its row and continues the trace when a loop takes it.
"""

import functools
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import structlog
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import Link, SpanContext, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from bluemap_shared.events.envelope import current_traceparent, new_traceparent

SERVICE_NAMESPACE = "bluemap"
# Span links per batch span: OTel SDKs keep 128 by default; more would be dropped silently.
MAX_LINKS = 128

_PROPAGATOR = TraceContextTextMapPropagator()
# Processors every provider made from now on gets (tests add an in-memory exporter here).
_extra_processors: list[SpanProcessor] = []


def add_span_processor(processor: SpanProcessor) -> None:
    """Send the spans of every service built afterwards to processor as well (tests, custom exporters)."""
    _extra_processors.append(processor)


def remove_span_processor(processor: SpanProcessor) -> None:
    _extra_processors.remove(processor)


def _exporter_names() -> list[str]:
    """The exporters the standard variables ask for; none unless asked (no collector to refuse spans to)."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return []
    names = [n.strip() for n in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    if not names and (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        names = ["otlp"]
    return [n for n in names if n != "none"]


def tracer_provider(service: str) -> TracerProvider:
    """The provider of one service: exporting as configured, or sampling nothing (ids only)."""
    exporters = _exporter_names()
    resource = Resource.create(
        {"service.name": f"{SERVICE_NAMESPACE}-{service}", "service.namespace": SERVICE_NAMESPACE}
    )
    recording = bool(exporters or _extra_processors)
    # The sampler comes from OTEL_TRACES_SAMPLER (default: parent-based, always on) when recording.
    provider = TracerProvider(resource=resource, sampler=None if recording else ALWAYS_OFF)
    for name in exporters:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    for processor in _extra_processors:
        provider.add_span_processor(processor)
    return provider


def _exporter(name: str) -> Any:
    if name == "console":
        return ConsoleSpanExporter()
    if name == "otlp":
        # http/protobuf, the OTLP default port 4318; endpoint, headers and timeout from OTEL_EXPORTER_OTLP_*.
        return OTLPSpanExporter()
    raise ValueError(f"OTEL_TRACES_EXPORTER={name}: only otlp, console and none are supported")


@functools.cache
def untraced() -> TracerProvider:
    """A provider that records nothing, for loops built without one (tests, tools)."""
    return TracerProvider(sampler=ALWAYS_OFF)


def is_recording(provider: TracerProvider) -> bool:
    """Whether spans of this provider go anywhere (instrumentations that cost per call are skipped if not)."""
    return provider.sampler is not ALWAYS_OFF


def traceparent_of(span: trace.Span) -> str | None:
    """The W3C traceparent of span, or None when it has no valid context."""
    context = span.get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def _context_of(traceparent: str | None) -> Any:
    """An OTel context whose parent is traceparent (a fresh root when it is missing or unusable)."""
    return _PROPAGATOR.extract({"traceparent": traceparent} if traceparent else {})


def _span_context_of(traceparent: str | None) -> SpanContext | None:
    context = trace.get_current_span(_context_of(traceparent)).get_span_context()
    return context if context.is_valid else None


@contextmanager
def continued(
    provider: TracerProvider,
    name: str,
    traceparent: str | None,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    links: Sequence[str | None] = (),
    attributes: dict[str, Any] | None = None,
) -> Iterator[trace.Span]:
    """A span that continues the trace of traceparent; events emitted inside carry its own traceparent."""
    tracer = provider.get_tracer("bluemap_shared")
    linked = [Link(c) for c in (_span_context_of(t) for t in links[:MAX_LINKS]) if c is not None]
    with (
        tracer.start_as_current_span(
            name, context=_context_of(traceparent), kind=kind, links=linked, attributes=attributes
        ) as span,
        traced(traceparent_of(span) or new_traceparent(traceparent)),
    ):
        yield span


@contextmanager
def traced(traceparent: str) -> Iterator[None]:
    """Events emitted inside carry traceparent; log lines carry its trace id."""
    token = current_traceparent.set(traceparent)
    try:
        with structlog.contextvars.bound_contextvars(trace_id=traceparent.split("-")[1]):
            yield
    finally:
        current_traceparent.reset(token)


def instrument_app(app: Any, provider: TracerProvider) -> None:
    """Server spans for every request of app (health, readiness and metrics excepted), when recording."""
    if is_recording(provider):
        FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="healthz,readyz,metrics")


def instrument_client(client: Any, provider: TracerProvider) -> None:
    """Client spans, and the traceparent header, on every request of an httpx client, when recording."""
    if is_recording(provider):
        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=provider)


def instrument_engine(engine: Any, provider: TracerProvider) -> None:
    """A client span per SQL statement of engine (an AsyncEngine), when recording.

    SQLAlchemyInstrumentor is one per process and instruments the first engine only; the embedded
    default has five (one per service, each with its own provider), so each gets its EngineTracer.
    """
    if not is_recording(provider):
        return
    usage = NoOpMeterProvider().get_meter(__name__).create_up_down_counter("db.client.connections.usage")
    EngineTracer(  # type: ignore[no-untyped-call]
        provider.get_tracer("opentelemetry.instrumentation.sqlalchemy"), engine.sync_engine, usage
    )


def current_or_new_traceparent(parent: str | None) -> str:
    """The active span's traceparent (an instrumented request), else a new span id under parent."""
    return traceparent_of(trace.get_current_span()) or new_traceparent(parent)
