"""Set-based projections: a fetched batch writes the read model as its events one by one would."""

from collections.abc import Awaitable, Callable

import pytest

from bluemap_portal.enterprises.models import PortalEnterprise
from bluemap_portal.projections import register_handlers
from bluemap_portal.records.models import PortalRecord
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

TABLES = (PortalEnterprise, PortalRecord)


async def test_a_batch_leaves_the_read_model_the_events_one_by_one_leave(
    new_database: Callable[[str], Awaitable[str]],
) -> None:
    scenario = projection_scenario()
    messages = [envelope.to_message() for envelope in scenario.envelopes]
    replayed = await replayed_both_ways(
        new_database, "bluemap_portal", "public-portal", register_handlers, TABLES, messages
    )
    batched, writes = replayed.batched, replayed.writes
    assert batched == replayed.one_by_one

    enterprises = {row["id"]: row for row in batched["portal_enterprises"]}
    ids = scenario.enterprises
    assert enterprises[ids["A"]]["name"] == "A v4", "the newest snapshot (a RecordUpdated's) stands"
    assert enterprises[ids["B"]]["name"] == "B v3", "an older registration after an update changed nothing"
    assert enterprises[ids["C"]]["name"] == "C 28", "of equal times, the last delivered stands"
    assert (enterprises[ids["D"]]["tenant_id"], enterprises[ids["D"]]["name"]) == (OTHER_TENANT, "D of other")
    records = {row["id"]: row for row in batched["portal_records"]}
    first, third = records[scenario.records[0]], records[scenario.records[3]]
    assert (first["revision"], first["source_title"]) == (2, "Record 0 revision 2"), "an older revision won"
    assert third["source_title"] == "Record 3 revision 1", "a replayed RecordPublished undid an update"
    assert records[scenario.records[1]]["source_title"] == "Replayed title"
    assert records[scenario.records[6]]["retracted_at"] is not None
    assert records[scenario.records[9]]["status"] == "resolved"
    assert len(records) == 40
    assert records[scenario.records[2]]["tenant_id"] == OTHER_TENANT
    # One statement per run of one type, not one per event (52 events): record upserts in runs of 30
    # published, 10 published, 2 updated, 1 updated, 2 published, plus the retraction and the status
    # change; snapshots in those five runs, the four runs of enterprise events, and once more for the
    # enterprise id a second tenant named.
    assert writes["portal_records"] == 7, writes
    assert writes["portal_enterprises"] == 10, writes


async def test_one_statement_per_table_for_a_batch_of_records(
    new_database: Callable[[str], Awaitable[str]],
) -> None:
    scenario = projection_scenario()
    published = [envelope for envelope in scenario.envelopes[3:33] if envelope.tenant_id == TENANT]
    assert {type(envelope.data) for envelope in published} == {RecordPublished}
    assert len(published) == 29
    async with migrated_consumer(
        "bluemap_portal", await new_database("portal"), "public-portal", register_handlers
    ) as (
        consumer,
        engine,
        _sessionmaker,
    ):
        with writes_per_table(engine) as writes:
            await consumer.process_batch([envelope.to_message() for envelope in published])
    assert (writes["portal_enterprises"], writes["portal_records"]) == (1, 1)
