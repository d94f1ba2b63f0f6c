"""Login under attack: argon2 off the event loop, failed logins throttled per account and address across replicas."""

import asyncio
import threading
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from records_testing import Running

from bluemap_records.identity.passwords import PasswordHashing
from bluemap_records.identity.service import LoginThrottle

pytestmark = pytest.mark.integration

PASSWORD = "a-good-long-password"
# The records service believes X-Forwarded-For from these: each test claims client addresses of its own. A first
# delay of 30 s keeps a block in place however slowly the test runs.
PROXIES: dict[str, Any] = {"trusted_proxies": ["127.0.0.1/32"], "login_first_delay_seconds": 30.0}


def address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


async def new_user(records: Running, tenant: str) -> str:
    email = f"u-{uuid.uuid4().hex[:8]}@example.org"
    created = await records.client.post(
        "/v1/users",
        json={"email": email, "password": PASSWORD, "roles": ["reviewer"]},
        headers=records.admin(tenant),
    )
    assert created.status_code == 201, created.text
    return email


async def log_in(records: Running, tenant: str, email: str, password: str, client: str) -> httpx.Response:
    return await records.client.post(
        "/v1/auth/token",
        data={"username": email, "password": password, "tenant": tenant},
        headers={"X-Forwarded-For": client},
    )


async def test_a_password_of_ten_spaces_is_refused(records: Running, tenant: str) -> None:
    for blank in (" " * 10, "\t" * 12, "  short  " + " " * 6):
        response = await records.client.post(
            "/v1/users",
            json={"email": f"a-{uuid.uuid4().hex[:6]}@example.org", "password": blank, "roles": ["admin"]},
            headers=records.admin(tenant),
        )
        assert response.status_code == 422, (blank, response.text)
        assert response.headers["content-type"] == "application/problem+json"


async def test_thirty_wrong_passwords_in_a_row_end_in_429_with_retry_after(
    records_with: Callable[..., AbstractAsyncContextManager[Running]], tenant: str
) -> None:
    async with records_with(**PROXIES) as records:
        email = await new_user(records, tenant)
        client = address()
        statuses = []
        for _ in range(30):
            response = await log_in(records, tenant, email, "wrong-password", client)
            statuses.append(response.status_code)
        assert statuses[:5] == [401] * 5
        assert set(statuses[5:]) == {429}
        assert response.headers["content-type"] == "application/problem+json"
        assert 1 <= int(response.headers["retry-after"]) <= 30
        assert response.json()["retry_after"] == int(response.headers["retry-after"])
        # Blocked means blocked: the right password waits too, from another address as well.
        assert (await log_in(records, tenant, email, PASSWORD, address())).status_code == 429
        # Another account is not held back by this one.
        other = await new_user(records, tenant)
        assert (await log_in(records, tenant, other, PASSWORD, address())).status_code == 200


async def test_one_address_trying_many_accounts_is_throttled(
    records_with: Callable[..., AbstractAsyncContextManager[Running]], tenant: str
) -> None:
    async with records_with(**PROXIES, login_free_failures_per_address=8) as records:
        client = address()
        statuses = [
            (await log_in(records, tenant, f"n{i}@example.org", "guess-password", client)).status_code
            for i in range(12)
        ]
        assert statuses[:8] == [401] * 8
        assert set(statuses[8:]) == {429}
        # The same accounts from another address are not blocked.
        assert (await log_in(records, tenant, "n0@example.org", "guess-password", address())).status_code == 401


async def test_the_count_holds_across_replicas(
    records_with: Callable[..., AbstractAsyncContextManager[Running]], tenant: str
) -> None:
    """Two instances on one database: failures counted by one block logins on the other."""
    async with records_with(**PROXIES) as first, records_with(**PROXIES) as second:
        email = await new_user(first, tenant)
        client = address()
        for replica in (first, second, first, second, first):
            assert (await log_in(replica, tenant, email, "wrong-password", client)).status_code == 401
        assert (await log_in(second, tenant, email, PASSWORD, client)).status_code == 429


async def test_a_successful_login_clears_its_accounts_count(
    records_with: Callable[..., AbstractAsyncContextManager[Running]], tenant: str
) -> None:
    async with records_with(**PROXIES) as records:
        email = await new_user(records, tenant)
        for _ in range(4):
            assert (await log_in(records, tenant, email, "wrong-password", address())).status_code == 401
        assert (await log_in(records, tenant, email, PASSWORD, address())).status_code == 200
        for _ in range(4):
            assert (await log_in(records, tenant, email, "wrong-password", address())).status_code == 401


async def test_password_verification_leaves_the_event_loop_free(records: Running, tenant: str) -> None:
    """The hash is checked in a thread: while it waits here, the loop goes on (on the loop it would stall it)."""
    entered, release = threading.Event(), threading.Event()

    class GatedHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            entered.set()
            # On the event loop thread nothing could set release: the wait would time out and the login fail.
            assert release.wait(timeout=10), "the event loop stood still while the password was verified"
            return super().verify(hash, password)

    email = await new_user(records, tenant)
    app_state = records.service.app.state
    original = app_state.passwords
    app_state.passwords = PasswordHashing(1, GatedHasher())
    try:
        login = asyncio.create_task(log_in(records, tenant, email, PASSWORD, "127.0.0.1"))
        assert await asyncio.to_thread(entered.wait, 10)
        release.set()  # runs only if the loop is free while the hash is being verified
        response = await login
    finally:
        app_state.passwords = original
    assert response.status_code == 200, response.text


def test_the_delay_doubles_after_the_free_failures_up_to_the_cap() -> None:
    throttle = LoginThrottle(
        free_failures_per_account=5,
        free_failures_per_address=20,
        first_delay_seconds=1.0,
        max_delay_seconds=900.0,
        failures_kept_seconds=3600.0,
    )
    assert [throttle.delay(n, 5) for n in range(1, 10)] == [0, 0, 0, 0, 1, 2, 4, 8, 16]
    assert throttle.delay(40, 5) == 900.0
    assert throttle.delay(10**6, 5) == 900.0


async def test_logins_past_the_pools_queue_are_refused_at_once_with_503(records: Running, tenant: str) -> None:
    """A flood of logins does not queue without end (each holding a request): past the bound it is told to retry."""
    entered, release = threading.Event(), threading.Event()

    class GatedHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            entered.set()
            assert release.wait(timeout=10)
            return super().verify(hash, password)

    email = await new_user(records, tenant)
    app_state = records.service.app.state
    original = app_state.passwords
    app_state.passwords = PasswordHashing(1, GatedHasher(), waiting=0)
    try:
        first = asyncio.create_task(log_in(records, tenant, email, PASSWORD, "127.0.0.1"))
        assert await asyncio.to_thread(entered.wait, 10)
        refused = await log_in(records, tenant, email, PASSWORD, "127.0.0.1")
        release.set()
        assert (await first).status_code == 200
    finally:
        app_state.passwords = original
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"] == "application/problem+json"
