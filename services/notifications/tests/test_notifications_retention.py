"""Retention on real PostgreSQL: what is past its keeping time goes, in batches, by one replica at a time."""

from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest
from notifications_testing import Start
from sqlalchemy import text
from sqlmodel import func, select

from bluemap_notifications.chat.models import ChatMessage, Conversation
from bluemap_notifications.digests.models import DigestItem, RecordDigest
from bluemap_notifications.emails.models import Email, EmailAttachment, EmailStatus
from bluemap_notifications.settings import NotificationsSettings
from bluemap_shared.db import utcnow
from bluemap_shared.messaging.models import DeadLetter, InboxMessage
from bluemap_shared.retention import RETENTION_LOCK_KEY, RetentionLoop

pytestmark = pytest.mark.integration

DAY = timedelta(days=1)


def email(age_days: int, status: EmailStatus) -> Email:
    # Pending ones wait for a retry far ahead, so the running dispatcher leaves them alone.
    return Email(
        next_attempt_at=utcnow() + 10 * DAY,
        tenant_id="ipe",
        purpose="test",
        cause_event_id=uuid4(),
        recipients=["ehs@example.cn"],
        subject="s",
        body_text="b",
        status=status,
        message_id=f"<{uuid4()}@bluemap>",
        created_at=utcnow() - age_days * DAY,
    )


def conversation(last_message_days: int) -> Conversation:
    return Conversation(
        tenant_id="ipe",
        enterprise_id=uuid4(),
        opened_by="u",
        created_at=utcnow() - 900 * DAY,
        last_message_at=utcnow() - last_message_days * DAY,
    )


def message(conversation_id: UUID, age_days: int) -> ChatMessage:
    return ChatMessage(
        tenant_id="ipe",
        conversation_id=conversation_id,
        author="u",
        role="enterprise",
        body="hello",
        created_at=utcnow() - age_days * DAY,
    )


def digest(closed_days: int | None) -> RecordDigest:
    return RecordDigest(
        tenant_id="ipe",
        audience="enterprise",
        recipient_id=uuid4(),
        import_id=uuid4(),
        enterprise_id=uuid4(),
        recipients=["ehs@example.cn"],
        opened_by_event_id=uuid4(),
        closed_at=None if closed_days is None else utcnow() - closed_days * DAY,
    )


def item(of: RecordDigest) -> DigestItem:
    return DigestItem(
        tenant_id="ipe",
        audience=of.audience,
        recipient_id=of.recipient_id,
        import_id=of.import_id,
        record_id=uuid4(),
        cause_event_id=uuid4(),
        digest_id=of.id,
        record_type="environmental_supervision",
        explainable=True,
        year=2020,
        source_title="t",
        issuing_authority="a",
        issued_on=date(2020, 2, 20),
    )


def letter(created_days: int, replayed_days: int | None) -> DeadLetter:
    return DeadLetter(
        consumer="notifications",
        topic="bluemap.records",
        partition=0,
        offset=-1,
        headers=[],
        payload=b"{}",
        reason="handler-failed",
        error="boom",
        created_at=utcnow() - created_days * DAY,
        replayed_at=None if replayed_days is None else utcnow() - replayed_days * DAY,
    )


async def count(session, model) -> int:  # type: ignore[no-untyped-def]
    return (await session.exec(select(func.count()).select_from(model))).one()


async def test_retention_deletes_what_expired_in_batches_and_keeps_the_rest(start: Start) -> None:
    async with start(retention_interval_seconds=3600) as svc:
        old_sent, recent_sent, old_pending = (
            email(200, EmailStatus.SENT),
            email(10, EmailStatus.SENT),
            email(400, EmailStatus.PENDING),
        )
        old_failed = email(181, EmailStatus.FAILED)
        quiet, lively = conversation(800), conversation(1)
        closed_long_ago, still_open = digest(200), digest(None)
        async with svc.runtime.sessionmaker() as session, session.begin():
            session.add_all(
                [old_sent, recent_sent, old_pending, old_failed, quiet, lively, closed_long_ago, still_open]
            )
            await session.flush()
            session.add(
                EmailAttachment(
                    tenant_id="ipe",
                    email_id=old_sent.id,
                    filename="a.pdf",
                    content_type="application/pdf",
                    size=1,
                    sha256="a" * 64,
                )
            )
            session.add_all([message(quiet.id, 800), message(lively.id, 800), message(lively.id, 1)])
            session.add_all([item(closed_long_ago) for _ in range(5)] + [item(still_open)])
            session.add_all([letter(400, None), letter(120, 100), letter(20, 5)])
            for handled_days in (40, 31, 1):
                session.add(
                    InboxMessage(
                        consumer="notifications",
                        event_id=uuid4(),
                        event_type="t",
                        tenant_id="ipe",
                        handled_at=utcnow() - handled_days * DAY,
                    )
                )

        async with svc.runtime.sessionmaker() as session:
            assert await count(session, EmailAttachment) == 1
        # Small batches: each policy needs several transactions.
        loop = RetentionLoop(
            svc.runtime.sessionmaker, svc.runtime.retention.policies, interval_seconds=3600, batch_size=2
        )
        deleted = await loop.run_once()

        assert deleted == {
            "outbox": 0,
            "inbox": 2,
            "dead_letters": 1,
            "email_attachments": 1,
            "emails": 2,
            "digest_items": 5,
            "digests": 1,
            "chat_messages": 2,
            "chat_conversations": 1,
        }
        async with svc.runtime.sessionmaker() as session:
            emails = {e.id for e in (await session.exec(select(Email))).all()}
            conversations = {c.id for c in (await session.exec(select(Conversation))).all()}
            letters = (await session.exec(select(DeadLetter))).all()
            assert emails >= {recent_sent.id, old_pending.id}
            assert not emails & {old_sent.id, old_failed.id}
            assert lively.id in conversations
            assert quiet.id not in conversations
            assert await count(session, ChatMessage) == 1
            assert await count(session, DigestItem) == 1
            assert sorted((x.created_at < utcnow() - 300 * DAY, x.replayed_at is None) for x in letters) == [
                (False, False),
                (True, True),
            ], "a letter waiting for its replay is kept however old"
        assert await loop.run_once() == dict.fromkeys(deleted, 0)


async def test_only_one_replica_runs_a_pass_at_a_time(start: Start) -> None:
    async with start(retention_interval_seconds=3600) as svc:
        async with svc.runtime.engine.connect() as other_replica, other_replica.begin():
            held = await other_replica.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": RETENTION_LOCK_KEY})
            assert held.scalar_one()
            assert await svc.runtime.retention.run_once() is None
        assert await svc.runtime.retention.run_once() is not None


def test_inbox_rows_must_outlive_the_topics_retention() -> None:
    with pytest.raises(ValueError, match="retention_inbox_days must outlast"):
        NotificationsSettings(kafka_retention_ms=40 * 86_400_000, retention_inbox_days=30)
    with pytest.raises(ValueError, match="retention_inbox_days must outlast"):
        NotificationsSettings(kafka_retention_ms=-1)
    assert NotificationsSettings(kafka_retention_ms=-1, retention_inbox_days=None).retention_inbox_days is None
