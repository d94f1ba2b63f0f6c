"""Sessions for pages that only read: no transaction, so no BEGIN and COMMIT round trips.

Under read committed each statement reads its own snapshot anyway, so a page's queries gain nothing
from a transaction; without one, a page that runs four queries makes four round trips, not six.
Pages that set transaction-local settings (search: plan_for_these_words) keep SessionDep.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_shared.runtime import ServiceRuntime


async def _reading_session(request: Request) -> AsyncIterator[AsyncSession]:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.engine.connect() as connection:
        reading = await connection.execution_options(isolation_level="AUTOCOMMIT")
        async with AsyncSession(bind=reading, expire_on_commit=False) as session:
            yield session


ReadingSessionDep = Annotated[AsyncSession, Depends(_reading_session, scope="function")]
