"""A distributed deployment per test module: five processes, fresh databases, a Kafka namespace."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.platform import SERVICES, Platform, running_platform


@pytest.fixture(scope="module")
async def platform_config(servers, create_database, tmp_path_factory) -> Platform:  # type: ignore[no-untyped-def]
    run = uuid.uuid4().hex[:8]
    databases = {name: await create_database(name.replace("-", "_")) for name in SERVICES}
    workdir: Path = tmp_path_factory.mktemp(f"platform-{run}")
    return Platform(
        servers=servers,
        databases=databases,
        workdir=workdir,
        namespace=f"e2e-{run}.",
        bucket=f"e2e-{run}",
        # As docker-compose.yml deploys it: explanations' outbox published by a `relay` process.
        relays_apart=frozenset({"explanations"}),
    )


@pytest.fixture(scope="module")
def platform(platform_config: Platform) -> Iterator[Platform]:
    with running_platform(platform_config) as running:
        yield running


@pytest.fixture(autouse=True)
def _service_logs_on_failure(request, platform_config: Platform) -> Iterator[None]:  # type: ignore[no-untyped-def]
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for service in SERVICES:
            print(f"\n----- {service} log tail -----\n{platform_config.tail(service)}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
