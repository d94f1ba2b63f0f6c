"""The kernel's retention on SQLite (the embedded default): inbox rows (a two-column key) and replayed letters."""

from datetime import timedelta
from pathlib import Path
from uuid import uuid4

from sqlmodel import SQLModel, select

from bluemap_notifications.settings import NotificationsSettings
from bluemap_shared.db import create_engine, create_sessionmaker, utcnow
from bluemap_shared.messaging.models import MESSAGING_TABLES, DeadLetter, InboxMessage
from bluemap_shared.retention import RetentionLoop
from bluemap_shared.runtime import messaging_retention


async def test_expired_inbox_rows_and_replayed_letters_go(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'kernel.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: SQLModel.metadata.create_all(sync, tables=list(MESSAGING_TABLES)))
    sessionmaker = create_sessionmaker(engine, service="notifications")
    now = utcnow()
    kept_event = uuid4()
    async with sessionmaker() as session, session.begin():
        for event_id, age in ((uuid4(), 45), (uuid4(), 31), (kept_event, 2)):
            session.add(
                InboxMessage(
                    consumer="notifications",
                    event_id=event_id,
                    event_type="t",
                    tenant_id="ipe",
                    handled_at=now - timedelta(days=age),
                )
            )
        for replayed in (None, now - timedelta(days=91)):
            session.add(
                DeadLetter(
                    consumer="notifications",
                    topic="t",
                    partition=0,
                    offset=-1,
                    headers=[],
                    payload=b"",
                    reason="r",
                    error="e",
                    created_at=now - timedelta(days=500),
                    replayed_at=replayed,
                )
            )
    loop = RetentionLoop(sessionmaker, messaging_retention(NotificationsSettings()), interval_seconds=1, batch_size=1)
    assert await loop.run_once() == {"outbox": 0, "inbox": 2, "dead_letters": 1}
    async with sessionmaker() as session:
        assert [row.event_id for row in (await session.exec(select(InboxMessage))).all()] == [kept_event]
        assert [row.replayed_at for row in (await session.exec(select(DeadLetter))).all()] == [None]
    await engine.dispose()
