"""Command line of every service: serve it alone (distributed mode) or migrate its database."""

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

import uvicorn
from aiokafka.helpers import create_ssl_context
from fastapi import FastAPI
from starlette.routing import Mount

from bluemap_shared.http import standalone_app
from bluemap_shared.logging import configure_logging
from bluemap_shared.messaging.transport import InProcessTransport, KafkaTransport, Transport
from bluemap_shared.runtime import ServiceRuntime
from bluemap_shared.settings import ServiceSettings


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


async def _until_terminated(work: Coroutine[Any, Any, None]) -> None:
    """Run work until it ends or SIGTERM/SIGINT arrives, then cancel it so its finally blocks run."""
    task = asyncio.create_task(work)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
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
    args = parser.parse_args(argv)

    service = bootstrap()
    settings = service.runtime.settings
    configure_logging(settings.log_level, settings.log_json)
    if args.command == "migrate":
        asyncio.run(service.runtime.migrate())
        return
    if args.command == "relay":
        asyncio.run(_until_terminated(service.runtime.relay_only()))
        return
    uvicorn.run(
        standalone_app(service.runtime, service.app, extra=extra_mounts(service)),
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_config=None,
        access_log=False,
    )
