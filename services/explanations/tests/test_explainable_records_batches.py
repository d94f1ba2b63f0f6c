"""Set-based projections: a fetched batch writes the explainable records as its events one by one would."""

from collections.abc import Awaitable, Callable

import pytest

from bluemap_explanations.records.handlers import register_handlers
from bluemap_explanations.records.models import ExplainableRecord, KnownEnterprise
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

TABLES = (KnownEnterprise, ExplainableRecord)
PACKAGE, NAME = "bluemap_explanations", "explanations"


async def test_a_batch_leaves_the_read_model_the_events_one_by_one_leave(
    new_database: Callable[[str], Awaitable[str]],
) -> None:
    scenario = projection_scenario()
    messages = [envelope.to_message() for envelope in scenario.envelopes]
    replayed = await replayed_both_ways(new_database, PACKAGE, NAME, register_handlers, TABLES, messages)
    batched, writes = replayed.batched, replayed.writes
    assert batched == replayed.one_by_one

    enterprises = {row["enterprise_id"]: row for row in batched["explanation_enterprises"]}
    ids = scenario.enterprises
    assert enterprises[ids["A"]]["name"] == "A v4", "the newest snapshot (a RecordUpdated's) stands"
    assert enterprises[ids["B"]]["name"] == "B v3", "an older registration after an update changed nothing"
    assert enterprises[ids["C"]]["name"] == "C 28", "of equal times, the last delivered stands"
    assert (enterprises[ids["D"]]["tenant_id"], enterprises[ids["D"]]["name"]) == (OTHER_TENANT, "D of other")
    records = {row["record_id"]: row for row in batched["explainable_records"]}
    assert len(records) == 40
    first = records[scenario.records[0]]
    assert (first["revision"], first["source_title"]) == (2, "Record 0 revision 2"), "an older revision won"
    assert first["enterprise_name"] == "A v4"
    assert records[scenario.records[6]]["retracted_at"] is not None
    assert records[scenario.records[9]]["record_status"] == "resolved", "the lifecycle reaches the workspace"
    # Record upserts: runs of 30 published, 10 published, 2 updated, 1 updated, 2 published, the retraction and
    # the status change.
    assert writes["explainable_records"] == 7, writes
    # Snapshots: four runs of enterprise events, four record runs that wrote a record, D's second tenant.
    assert writes["explanation_enterprises"] == 9, writes


async def test_one_statement_per_table_for_a_batch_of_records(new_database: Callable[[str], Awaitable[str]]) -> None:
    published = [
        envelope
        for envelope in projection_scenario().envelopes
        if isinstance(envelope.data, RecordPublished) and envelope.tenant_id == TENANT
    ][:29]
    async with migrated_consumer(PACKAGE, await new_database(NAME), NAME, register_handlers) as (consumer, engine, _):
        with writes_per_table(engine) as writes:
            await consumer.process_batch([envelope.to_message() for envelope in published])
    assert (writes["explanation_enterprises"], writes["explainable_records"]) == (1, 1)
