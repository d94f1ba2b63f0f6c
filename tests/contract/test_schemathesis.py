"""schemathesis against the five services' OpenAPI documents, in-process on the embedded default with its demo.

Each operation gets a bounded number of generated requests (positive and negative); each request is sent as
anonymous, enterprise staff, reviewer and admin. No answer may be a 5xx, and every answer must be one the
document declares, errors as application/problem+json. BLUEMAP_FUZZ_EXAMPLES raises the bound locally.
"""

import os
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance
from starlette.applications import Starlette

from bluemap_embedded.app import EmbeddedConfig, build
from bluemap_embedded.demo import ACCOUNTS, TENANT
from tests.e2e.platform import free_port

pytestmark = pytest.mark.fuzz

SERVICES = ("records", "explanations", "documents", "notifications", "public-portal")
# Per operation and generation mode; each example is sent once per role. 16: 94 s alone on 2 cores (2,222 cases).
EXAMPLES = int(os.environ.get("BLUEMAP_FUZZ_EXAMPLES", "16"))
ROLES = ("anonymous", "enterprise", "reviewer", "admin")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]
# Takes no input to fuzz, and would end the demo accounts' sessions: every later request would be a 401.
SESSION_ENDING = frozenset({"POST /v1/auth/logout"})


@dataclass
class Tally:
    operations: int = 0
    cases: int = 0
    requests: int = 0
    server_errors: int = 0
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Starlette]:
    """The embedded default with its demo data; schemathesis starts its lifespan on the first request."""
    config = EmbeddedConfig(
        data_dir=tmp_path_factory.mktemp("fuzz"),
        smtp_port=free_port(),
        port=free_port(),
        hostnames=(asgi.HOST,),  # the portal answers only its tenant's hosts
    )
    app = build(config)
    yield app
    asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def tokens(platform: Starlette) -> dict[str, dict[str, str]]:
    """A bearer token of each demo account, from the records service's login endpoint."""
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    with asgi.get_client(platform) as client:
        # The platform operator stays out: suspending the demo tenant would turn every later answer into a 503.
        for account in (a for a in ACCOUNTS if a.roles[0] in ROLES):
            response = client.post(
                "http://testserver/api/records/v1/auth/token",
                data={"username": account.email, "password": account.password, "tenant": TENANT},
            )
            assert response.status_code == 200, response.text
            headers[account.roles[0]] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert set(headers) == set(ROLES)
    return headers


def _unroutable(url: str | None) -> bool:
    """A path with a line break never reaches the API: Starlette's Mount pattern stops at it, the site answers."""
    path = unquote(urlsplit(url or "").path)
    return any(ch in path for ch in "\n\r")


def _send(case: Any, base_url: str, tokens: dict[str, dict[str, str]], label: str, tally: Tally) -> None:
    """One generated request as every role; failures are tallied, so one run reports all of them."""
    tally.cases += 1
    for role in ROLES:
        tally.requests += 1
        where = f"{label} as {role}"
        try:
            response = case.call(base_url=base_url, headers=tokens[role])
        except Exception as exc:  # the in-process client re-raises what the app did not handle: a 500
            tally.server_errors += 1
            tally.failures.append(f"{where}: unhandled {type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
            continue
        if response.status_code >= 500:
            tally.server_errors += 1
        if response.status_code == 404 and _unroutable(response.request.url):
            continue
        try:
            case.validate_response(response, checks=CHECKS, headers=tokens[role])
        except FailureGroup as group:
            for failure in group.exceptions:
                title = getattr(failure, "title", type(failure).__name__)
                detail = " ".join(str(failure).split())[:300]
                tally.failures.append(f"{where}: {response.status_code} {title}: {detail}")


def _fuzz_operation(
    operation: Any, mode: GenerationMode, base_url: str, tokens: dict[str, dict[str, str]], tally: Tally
) -> None:
    label = f"{operation.label} ({mode.value})"

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        _send(case, base_url, tokens, label, tally)

    # An operation with nothing to break has no negative cases.
    with suppress(hypothesis.errors.Unsatisfiable):
        run()


def _fuzz(platform: Starlette, tokens: dict[str, dict[str, str]], service: str, tally: Tally) -> None:
    schema = schemathesis.openapi.from_asgi(f"/api/{service}/openapi.json", platform)
    base_url = f"http://{asgi.HOST}/api/{service}"
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in SESSION_ENDING:
            continue
        tally.operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(operation, mode, base_url, tokens, tally)


def test_no_server_errors_and_errors_are_documented_problems(
    platform: Starlette, tokens: dict[str, dict[str, str]]
) -> None:
    # One test for the five services: schemathesis stops an application's lifespan after each test.
    tallies = {service: Tally() for service in SERVICES}
    started = time.monotonic()
    for service, tally in tallies.items():
        _fuzz(platform, tokens, service, tally)
        print(
            f"schemathesis {service}: {tally.operations} operations, {tally.cases} cases, "
            f"{tally.requests} requests, {tally.server_errors} server errors, {len(set(tally.failures))} failures"
        )
    total = Tally(
        operations=sum(t.operations for t in tallies.values()),
        cases=sum(t.cases for t in tallies.values()),
        requests=sum(t.requests for t in tallies.values()),
        server_errors=sum(t.server_errors for t in tallies.values()),
        failures=sorted({f for t in tallies.values() for f in t.failures}),
    )
    summary = (
        f"schemathesis total: {total.operations} operations, {total.cases} cases, {total.requests} requests, "
        f"{total.server_errors} server errors, {len(total.failures)} failures "
        f"({EXAMPLES} examples per operation and mode, {time.monotonic() - started:.0f} s)"
    )
    print(summary)
    report = summary + "\n" + "\n".join(total.failures[:100])
    assert total.server_errors == 0, report
    assert not total.failures, report
