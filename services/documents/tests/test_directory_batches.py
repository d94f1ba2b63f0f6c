"""Set-based projections: a fetched batch writes the directory as its events one by one would."""

from collections.abc import Awaitable, Callable

import pytest

from bluemap_documents.directory.handlers import register_handlers
from bluemap_documents.directory.models import KnownEnterprise, KnownRecord
from bluemap_shared.events.catalog import RecordPublished
from bluemap_shared.projection_testing import (
    OTHER_TENANT,
    TENANT,
    migrated_consumer,
    projection_scenario,
    replayed_both_ways,
    writes_per_table,
)

pytestmark = pytest.mark.integration

TABLES = (KnownEnterprise, KnownRecord)
PACKAGE, NAME = "bluemap_documents", "documents"


async def test_a_batch_leaves_the_read_model_the_events_one_by_one_leave(
    new_database: Callable[[str], Awaitable[str]],
) -> None:
    scenario = projection_scenario()
    messages = [envelope.to_message() for envelope in scenario.envelopes]
    replayed = await replayed_both_ways(new_database, PACKAGE, NAME, register_handlers, TABLES, messages)
    batched, writes = replayed.batched, replayed.writes
    assert batched == replayed.one_by_one

    enterprises = {row["enterprise_id"]: row for row in batched["known_enterprises"]}
    ids = scenario.enterprises
    # The directory keeps the last snapshot delivered, whatever its time.
    assert enterprises[ids["A"]]["name"] == "A replayed"
    assert enterprises[ids["B"]]["name"] == "B v0"
    assert enterprises[ids["C"]]["name"] == "C replayed"
    assert (enterprises[ids["D"]]["tenant_id"], enterprises[ids["D"]]["name"]) == (OTHER_TENANT, "D of other")
    records = {row["record_id"]: row for row in batched["known_records"]}
    assert len(records) == 40
    assert records[scenario.records[3]]["source_title"] == "Replayed over revision 1"
    assert records[scenario.records[6]]["retracted"] is True
    assert records[scenario.records[5]]["tenant_id"] == TENANT
    # Record upserts: runs of 30 published, 10 published, 2 updated, 1 updated, 2 published, and the retraction.
    assert writes["known_records"] == 6, writes
    # Snapshots: four runs of enterprise events, five record runs, D's second tenant.
    assert writes["known_enterprises"] == 10, writes


async def test_one_statement_per_table_for_a_batch_of_records(new_database: Callable[[str], Awaitable[str]]) -> None:
    published = [
        envelope
        for envelope in projection_scenario().envelopes
        if isinstance(envelope.data, RecordPublished) and envelope.tenant_id == TENANT
    ][:29]
    async with migrated_consumer(PACKAGE, await new_database(NAME), NAME, register_handlers) as (consumer, engine, _):
        with writes_per_table(engine) as writes:
            await consumer.process_batch([envelope.to_message() for envelope in published])
    assert (writes["known_enterprises"], writes["known_records"]) == (1, 1)
