"""Dead letters an operator can list, read and replay, each replay recorded on its letter with a reason.

A replay first forgets the consumer's inbox claim of the event (outcome "dead-letter"), since the
inbox would otherwise drop the event as already seen. Then either:
- "handler": the stored message goes through this process's consumer, as if fetched again; or
- "topic": the message is published to its original topic (same key, so the same partition and
  order as a new event of that key). Every consumer group receives it again; those that handled it
  already drop it at their inbox, the consumer that dead-lettered it handles it.
Every replay closes its letter (replayed_at, with who, how, why and the outcome); a message that
fails again is written as a new letter with the fresh error, so nothing waits under a stale one.
"""

import enum
from dataclasses import dataclass

import structlog
from sqlalchemy import delete, update
from sqlmodel import col, select

from bluemap_shared.db import SessionMaker, utcnow
from bluemap_shared.events.envelope import Message
from bluemap_shared.messaging.inbox import EventConsumer
from bluemap_shared.messaging.models import DeadLetter, InboxMessage
from bluemap_shared.messaging.transport import InProcessTransport, Transport
from bluemap_shared.problems import Conflict, InvalidInput, NotFound

log = structlog.get_logger(__name__)

# Headers the dead-letter topic adds; a replayed message carries the original ones only.
DEAD_LETTER_HEADER_PREFIX = "dlt_"


class ReplayMode(enum.StrEnum):
    """Where a replayed message goes."""

    HANDLER = "handler"
    TOPIC = "topic"


class ReplayOutcome(enum.StrEnum):
    """What a replay achieved, as far as this process can see."""

    HANDLED = "handled"  # the handler ran and committed (handler mode)
    FAILED_AGAIN = "failed-again"  # the handler failed again; the letter holds the new error
    PUBLISHED = "published"  # back on its topic; the consumer handles it in its own time


@dataclass(frozen=True)
class DeadLetterFilter:
    """Which letters to list; replayed ones are hidden unless asked for."""

    consumer: str | None = None
    reason: str | None = None
    event_type: str | None = None
    include_replayed: bool = False
    limit: int = 50


async def list_dead_letters(sessionmaker: SessionMaker, where: DeadLetterFilter) -> list[DeadLetter]:
    """Letters newest first, filtered."""
    query = select(DeadLetter).order_by(col(DeadLetter.id).desc()).limit(where.limit)
    if where.consumer:
        query = query.where(DeadLetter.consumer == where.consumer)
    if where.reason:
        query = query.where(DeadLetter.reason == where.reason)
    if where.event_type:
        query = query.where(DeadLetter.event_type == where.event_type)
    if not where.include_replayed:
        query = query.where(col(DeadLetter.replayed_at).is_(None))
    async with sessionmaker() as session:
        return list((await session.exec(query)).all())


async def get_dead_letter(sessionmaker: SessionMaker, letter_id: int) -> DeadLetter:
    async with sessionmaker() as session:
        letter = await session.get(DeadLetter, letter_id)
    if letter is None:
        raise NotFound(f"No dead letter {letter_id}.")
    return letter


def original_message(letter: DeadLetter) -> Message:
    """The message as first delivered: its topic, key, value and headers, without the dead-letter ones."""
    headers = [
        (name, value.encode("utf-8"))
        for name, value in letter.headers
        if not name.startswith(DEAD_LETTER_HEADER_PREFIX)
    ]
    key = letter.key.encode("utf-8") if letter.key is not None else None
    return Message(topic=letter.topic, key=key, value=letter.payload, headers=headers)


async def replay(
    sessionmaker: SessionMaker,
    consumer: EventConsumer,
    transport: Transport,
    letter_id: int,
    *,
    mode: ReplayMode,
    reason: str,
    by: str,
) -> ReplayOutcome:
    """Replay one letter as `mode` says, recording who replayed it, why and what came of it."""
    if not reason.strip():
        raise InvalidInput("A replay needs a reason.", reason="reason-required")
    letter = await get_dead_letter(sessionmaker, letter_id)
    if letter.consumer != consumer.name:
        raise Conflict(
            f"Dead letter {letter_id} belongs to consumer {letter.consumer}, not {consumer.name}.",
            reason="other-consumer",
        )
    if letter.replayed_at is not None:
        raise Conflict(
            f"Dead letter {letter_id} was replayed at {letter.replayed_at.isoformat()}.", reason="already-replayed"
        )
    if letter.event_id is None:
        raise Conflict(
            f"Dead letter {letter_id} has no event id ({letter.reason}); no replay can handle it.",
            reason="not-an-event",
        )
    if mode is ReplayMode.TOPIC and isinstance(transport, InProcessTransport):
        raise Conflict(
            "The in-process bus reaches no other process: replay into the handler instead.", reason="no-broker"
        )
    async with sessionmaker() as session, session.begin():
        await session.exec(
            delete(InboxMessage).where(  # type: ignore[call-overload]
                col(InboxMessage.consumer) == consumer.name,
                col(InboxMessage.event_id) == letter.event_id,
                col(InboxMessage.outcome) == "dead-letter",
            )
        )
    message = original_message(letter)
    if mode is ReplayMode.TOPIC:
        await transport.publish([message])
        outcome = ReplayOutcome.PUBLISHED
    else:
        # Without its Kafka position (offset -1), a second failure writes a new letter, not a duplicate.
        await consumer.process_batch([message])
        outcome = await _handler_outcome(sessionmaker, consumer.name, letter.event_id)
    await _record(sessionmaker, letter_id, mode=mode, outcome=outcome, reason=reason, by=by)
    log.info("dead_letter.replayed", letter=letter_id, consumer=consumer.name, mode=mode, outcome=outcome, by=by)
    return outcome


async def _handler_outcome(sessionmaker: SessionMaker, consumer: str, event_id: str) -> ReplayOutcome:
    async with sessionmaker() as session:
        outcome = (
            await session.exec(
                select(InboxMessage.outcome).where(InboxMessage.consumer == consumer, InboxMessage.event_id == event_id)
            )
        ).first()
    return ReplayOutcome.HANDLED if outcome == "handled" else ReplayOutcome.FAILED_AGAIN


async def _record(
    sessionmaker: SessionMaker, letter_id: int, *, mode: ReplayMode, outcome: ReplayOutcome, reason: str, by: str
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.exec(
            update(DeadLetter)  # type: ignore[call-overload]
            .where(col(DeadLetter.id) == letter_id)
            .values(
                replayed_at=utcnow(),
                last_replay=f"{utcnow().isoformat()} {mode} by {by}: {outcome}; {reason.strip()}"[:2000],
            )
        )
