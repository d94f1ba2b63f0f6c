"""Command line of every service: serve it alone (distributed mode), migrate its database, replay dead letters."""

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
import threading
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import Any, Protocol, TypeVar

import uvicorn
from aiokafka.helpers import create_ssl_context
from fastapi import FastAPI
from starlette.routing import Mount

from bluemap_shared.dead_letter_commands import add_dead_letter_commands, run_dead_letter_command
from bluemap_shared.http import standalone_app
from bluemap_shared.logging import configure_logging
from bluemap_shared.messaging.transport import InProcessTransport, KafkaTransport, Transport
from bluemap_shared.runtime import ServiceRuntime
from bluemap_shared.settings import ServiceSettings
from bluemap_shared.tenant_data_commands import add_tenant_data_commands, run_tenant_data_command


class Service(Protocol):
    runtime: ServiceRuntime
    app: FastAPI


S = TypeVar("S", bound=Service)


def transport_for(settings: ServiceSettings, client_id: str) -> Transport:
    """Kafka when configured, else the in-process bus (which only reaches this process)."""
    if settings.transport == "kafka":
        return KafkaTransport(
            settings.kafka_bootstrap,
            client_id=client_id,
            partitions=settings.kafka_topic_partitions,
            namespace=settings.kafka_namespace,
            fetch_batch_size=settings.consumer_batch_size,
            compression=None if settings.kafka_compression == "none" else settings.kafka_compression,
            replication_factor=settings.kafka_replication_factor,
            topic_config=kafka_topic_config(settings),
            client_options=kafka_client_options(settings),
        )
    return InProcessTransport()


def kafka_topic_config(settings: ServiceSettings) -> dict[str, str]:
    """Topic-level configs of the topics a service creates; unset ones fall back to the broker's defaults."""
    config = {}
    if settings.kafka_min_insync_replicas is not None:
        config["min.insync.replicas"] = str(settings.kafka_min_insync_replicas)
    if settings.kafka_retention_ms is not None:
        config["retention.ms"] = str(settings.kafka_retention_ms)
    return config


def kafka_client_options(settings: ServiceSettings) -> dict[str, Any]:
    """Security options of every Kafka client (producer, consumers, admin): TLS and SASL as configured."""
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(
            cafile=settings.kafka_ssl_cafile, certfile=settings.kafka_ssl_certfile, keyfile=settings.kafka_ssl_keyfile
        )
    if protocol.startswith("SASL_"):
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return options


async def _until_terminated(work: Coroutine[Any, Any, None], runtime: ServiceRuntime) -> None:
    """Run work until it ends; on SIGTERM/SIGINT ask the relay to end its batch, and cancel work after the grace."""
    task = asyncio.create_task(work)
    loop = asyncio.get_running_loop()

    def terminate() -> None:
        if runtime.draining.is_set():
            task.cancel()  # a second signal: now
            return
        runtime.begin_draining()
        runtime.relay.stop_after_batch()
        loop.call_later(runtime.settings.shutdown_grace_seconds, task.cancel)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, terminate)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def service_main(
    name: str,
    bootstrap: Callable[[], S],
    argv: list[str] | None = None,
    *,
    extra_mounts: Callable[[S], list[Mount]] = lambda _service: [],
) -> None:
    """`serve` runs the service at /api/<name> (plus extra_mounts); `migrate` upgrades its database."""
    parser = argparse.ArgumentParser(prog=f"bluemap-{name}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run this service alone")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser(
        "relay",
        help="publish this service's outbox only (no HTTP, no consumer); "
        "run it next to `serve` processes started with OUTBOX_RELAY_IN_PROCESS=false",
    )
    add_dead_letter_commands(commands)
    add_tenant_data_commands(commands)
    args = parser.parse_args(argv)

    service = bootstrap()
    settings = service.runtime.settings
    configure_logging(settings.log_level, settings.log_json)
    if args.command == "migrate":
        asyncio.run(service.runtime.migrate())
        return
    if args.command == "tenant-data":
        sys.exit(asyncio.run(run_tenant_data_command(service.runtime, args)))
    if args.command == "dead-letters":
        sys.exit(asyncio.run(run_dead_letter_command(service.runtime, args)))
    if args.command == "relay":
        asyncio.run(_until_terminated(service.runtime.relay_only(), service.runtime))
        return
    config = uvicorn.Config(
        standalone_app(service.runtime, service.app, extra=extra_mounts(service)),
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_config=None,
        access_log=False,
        # Requests and event streams still open this long after the listeners close are cut.
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_seconds)),
    )
    DrainingServer(config, service.runtime).run()


class DrainingServer(uvicorn.Server):
    """On SIGTERM, fail readiness and end event streams first; stop listening shutdown_drain_seconds later."""

    def __init__(self, config: uvicorn.Config, runtime: ServiceRuntime) -> None:
        super().__init__(config)
        self._runtime = runtime
        self._loop: asyncio.AbstractEventLoop | None = None
        self._signalled = False

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._loop is not None:
            # Signal handlers run between any two bytecodes: touch the loop's objects from the loop.
            self._loop.call_soon_threadsafe(self._runtime.begin_draining)
        delay = self._runtime.settings.shutdown_drain_seconds
        if self._signalled or delay <= 0:
            # A second signal, or no draining wanted: uvicorn's own (a second one forces the exit).
            super().handle_exit(sig, frame)
            return
        self._signalled = True
        # A signal handler must not block: the listeners close from a timer while load balancers,
        # seeing readiness fail, stop sending new requests.
        timer = threading.Timer(delay, super().handle_exit, (sig, frame))
        timer.daemon = True
        timer.start()
