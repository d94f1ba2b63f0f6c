"""Kernel integration fixtures: a fresh PostgreSQL database with the messaging tables, Kafka namespaces."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel

from bluemap_shared.db import SessionMaker, create_engine, create_sessionmaker
from bluemap_shared.messaging.models import MESSAGING_TABLES


class HandledEffect(SQLModel, table=True):
    """What the test handlers write: one row per effect, so duplicates are visible."""

    __tablename__ = "test_handled_effects"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str
    record_id: str


@dataclass
class KernelDb:
    url: str
    engine: AsyncEngine
    sessionmaker: SessionMaker


@pytest.fixture
async def kernel_db(create_database) -> AsyncIterator[KernelDb]:  # type: ignore[no-untyped-def]
    url = await create_database("kernel")
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(
            lambda sync: SQLModel.metadata.create_all(
                sync,
                tables=[*MESSAGING_TABLES, HandledEffect.__table__],  # type: ignore[attr-defined]
            )
        )
    yield KernelDb(url, engine, create_sessionmaker(engine, service="records"))
    await engine.dispose()


@pytest.fixture
def kafka_bootstrap(servers: dict[str, str]) -> str:
    return servers["BLUEMAP_KAFKA_BOOTSTRAP"]


@pytest.fixture
def namespace() -> str:
    """A topic and group prefix of this test's own, so tests never read each other's events."""
    return f"test-{uuid.uuid4().hex[:10]}."
