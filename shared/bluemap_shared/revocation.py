"""Ended sessions: every service refuses a token whose session (the `sid` claim) was logged out or revoked.

Records, the identity provider, writes a row here when a session ends (logout, user disabled, role or
password changed) and announces it with `SessionsRevoked`; every other service keeps its own copy of the rows
from that event. A token is checked against the caller's own database on every request, so a revoked
session is refused as soon as the event is handled, not when the token expires.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import bindparam, delete
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_shared.db import UTCDateTime, insert_for, utcnow
from bluemap_shared.events.catalog import SessionsRevoked
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging import EventConsumer
from bluemap_shared.problems import Unauthorized

if TYPE_CHECKING:
    from bluemap_shared.auth import Principal

log = structlog.get_logger()


class RevokedSession(SQLModel, table=True):
    """A session whose tokens are refused; kept until they would have expired anyway."""

    __tablename__ = "revoked_sessions"

    session_id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    user_id: str = Field(max_length=255)
    revoked_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class SessionRevoked(Unauthorized):
    type = "session-revoked"
    title = "Session ended"


async def revoke_sessions(
    session: AsyncSession,
    tenant_id: str,
    user_id: str,
    session_ids: Iterable[str],
    *,
    expires_at: datetime,
    revoked_at: datetime | None = None,
) -> None:
    """Refuse the sessions' tokens from this transaction's commit on; drop rows whose tokens expired anyway."""
    now = revoked_at or utcnow()
    rows = [
        {"session_id": sid, "tenant_id": tenant_id, "user_id": user_id, "revoked_at": now, "expires_at": expires_at}
        for sid in dict.fromkeys(session_ids)
    ]
    if rows:
        table = RevokedSession.__table__  # type: ignore[attr-defined]
        await session.exec(
            insert_for(session)(table).values(rows).on_conflict_do_nothing(index_elements=["session_id"])
        )
    await session.exec(delete(RevokedSession).where(col(RevokedSession.expires_at) < utcnow()))


# A Core statement on a bare connection: an ORM session around this one read cost twice as much CPU.
_REVOKED = select(RevokedSession.session_id).where(col(RevokedSession.session_id) == bindparam("sid"))  # type: ignore[arg-type]


async def is_revoked(engine: AsyncEngine, session_id: str) -> bool:
    async with engine.connect() as connection:
        found = await connection.execute(_REVOKED, {"sid": session_id})
        return found.first() is not None


async def refuse_revoked(engine: AsyncEngine, principal: "Principal") -> "Principal":
    """The principal, unless its session was ended (401). Tokens without a session (another issuer's) pass."""
    if principal.session_id and await is_revoked(engine, principal.session_id):
        raise SessionRevoked("This session has ended; please sign in again.")
    return principal


def follow_revocations(consumer: EventConsumer, *, on_write: Callable[[AsyncSession], None] | None = None) -> None:
    """Keep this service's copy of ended sessions from records' SessionsRevoked events.

    on_write runs in the handler's transaction (the portal says there that no public page changed).
    """

    @consumer.on(SessionsRevoked)
    async def on_sessions_revoked(session: AsyncSession, envelope: Envelope[SessionsRevoked]) -> None:
        data = envelope.data
        await revoke_sessions(
            session,
            envelope.tenant_id,
            str(data.user_id),
            data.session_ids,
            expires_at=data.expires_at,
            revoked_at=data.revoked_at,
        )
        if on_write is not None:
            on_write(session)
        log.info("sessions.revoked", user_id=str(data.user_id), sessions=len(data.session_ids), reason=data.reason)
