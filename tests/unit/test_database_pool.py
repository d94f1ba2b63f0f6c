"""The PostgreSQL pool of a process comes from its settings (replicas x pool must fit max_connections)."""

import pytest
from sqlalchemy.pool import QueuePool

from bluemap_notifications.settings import NotificationsSettings
from bluemap_shared.db import create_engine


def test_pool_sizes_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLUEMAP_NOTIFICATIONS_DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("BLUEMAP_NOTIFICATIONS_DATABASE_POOL_MAX_OVERFLOW", "0")
    monkeypatch.setenv("BLUEMAP_NOTIFICATIONS_DATABASE_POOL_TIMEOUT_SECONDS", "2.5")
    engine = create_engine("postgresql+asyncpg://u@127.0.0.1:1/x", pool=NotificationsSettings().database_pool())
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow, pool._timeout) == (3, 0, 2.5)


def test_a_pool_of_no_connections_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLUEMAP_NOTIFICATIONS_DATABASE_POOL_SIZE", "0")
    with pytest.raises(ValueError, match="database_pool_size"):
        NotificationsSettings()
