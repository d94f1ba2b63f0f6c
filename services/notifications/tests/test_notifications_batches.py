"""Set-based contacts and deadlines: a run of events written at once leaves what the events one by one leave.

The consumer's batch handler (handlers.py) calls these functions per run of one event type; as_a_run
below calls them the way it is to.
"""

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.contacts.models import EnterpriseContact
from bluemap_notifications.contacts.service import project_snapshot, project_snapshots
from bluemap_notifications.deadlines import service as deadlines
from bluemap_notifications.deadlines.models import DeadlineReminder, TrackedRecord
from bluemap_shared.events.catalog import (
    EnterpriseRegistered,
    EnterpriseUpdated,
    RecordPublished,
    RecordRetracted,
    RecordStatusChanged,
    RecordUpdated,
)
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.events.seen import SnapshotSeen
from bluemap_shared.messaging.inbox import runs_of_one_type
from bluemap_shared.projection_testing import (
    OTHER_TENANT,
    TENANT,
    migrated_consumer,
    projection_scenario,
    table_rows,
    writes_per_table,
)

pytestmark = pytest.mark.integration

PACKAGE, NAME = "bluemap_notifications", "notifications"
TABLES = (EnterpriseContact, TrackedRecord, DeadlineReminder)
BATCHED = {EnterpriseRegistered, EnterpriseUpdated, RecordPublished, RecordUpdated}
TODAY = date(2026, 3, 2)
DAYS_BEFORE = 3


async def one_at_a_time(session: AsyncSession, envelope: Envelope[Any]) -> None:
    """What the single-event handlers do with the contacts and deadlines."""
    event, tenant_id = envelope.data, envelope.tenant_id
    if isinstance(event, EnterpriseRegistered):
        await project_snapshot(session, tenant_id, event.enterprise, envelope.time)
    elif isinstance(event, EnterpriseUpdated):
        await project_snapshot(session, tenant_id, event.enterprise, envelope.time, status=event.status)
    elif isinstance(event, RecordPublished):
        await project_snapshot(session, tenant_id, event.enterprise, envelope.time)
        await deadlines.track_published(session, tenant_id, event, days_before=DAYS_BEFORE, today=TODAY)
    elif isinstance(event, RecordUpdated):
        await project_snapshot(session, tenant_id, event.enterprise, envelope.time)
        await deadlines.track_updated(session, tenant_id, event, days_before=DAYS_BEFORE, today=TODAY)
    elif isinstance(event, RecordRetracted):
        await deadlines.track_retracted(session, tenant_id, event)
    elif isinstance(event, RecordStatusChanged):
        await deadlines.track_status_changed(session, tenant_id, event, days_before=DAYS_BEFORE, today=TODAY)


async def as_a_run(session: AsyncSession, run: list[Envelope[Any]]) -> None:
    """What a batch handler does with a run of one type (each subject once)."""
    first = run[0].data
    if isinstance(first, EnterpriseUpdated):
        await project_snapshots(session, [SnapshotSeen.of(e)._replace(status=e.data.status) for e in run])
    elif isinstance(first, EnterpriseRegistered):
        await project_snapshots(session, [SnapshotSeen.of(e) for e in run])
    elif isinstance(first, RecordPublished):
        await project_snapshots(session, [SnapshotSeen.of(e) for e in run])
        await deadlines.track_published_records(
            session, [(e.tenant_id, e.data) for e in run], days_before=DAYS_BEFORE, today=TODAY
        )
    elif isinstance(first, RecordUpdated):
        await project_snapshots(session, [SnapshotSeen.of(e) for e in run])
        await deadlines.track_updated_records(
            session, [(e.tenant_id, e.data) for e in run], days_before=DAYS_BEFORE, today=TODAY
        )
    else:
        for envelope in run:
            await one_at_a_time(session, envelope)


def nothing_to_register(_consumer: Any) -> None:
    """These tests call the service functions themselves."""


async def test_runs_leave_the_contacts_and_deadlines_the_events_one_by_one_leave(
    new_database: Callable[[str], Awaitable[str]],
) -> None:
    scenario = projection_scenario()
    ignore = ("id", "created_at")  # a reminder's own id and creation time
    async with migrated_consumer(PACKAGE, await new_database(NAME), NAME, nothing_to_register) as (_, _, sessions):
        for envelope in scenario.envelopes:
            async with sessions() as session, session.begin():
                await one_at_a_time(session, envelope)
        one_by_one = await table_rows(sessions, TABLES, ignore=ignore)
    async with migrated_consumer(PACKAGE, await new_database(NAME), NAME, nothing_to_register) as (
        _,
        engine,
        sessions,
    ):
        runs = list(runs_of_one_type(scenario.envelopes, batched=BATCHED))
        with writes_per_table(engine) as writes:
            async with sessions() as session, session.begin():
                for run in runs:
                    await as_a_run(session, run)
        batched = await table_rows(sessions, TABLES, ignore=ignore)
    assert batched == one_by_one

    contacts = {(row["tenant_id"], row["enterprise_id"]): row for row in batched["enterprise_contacts"]}
    ids = scenario.enterprises
    a = contacts[TENANT, ids["A"]]
    assert (a["name"], a["status"]) == ("A v4", "suspended"), "a record's snapshot erased the status"
    assert (contacts[TENANT, ids["B"]]["name"], contacts[TENANT, ids["B"]]["status"]) == ("B v3", "active")
    assert contacts[TENANT, ids["C"]]["name"] == "C 28", "of equal times, the last delivered stands"
    assert contacts[TENANT, ids["D"]]["name"] == "D 29"
    assert contacts[OTHER_TENANT, ids["D"]]["name"] == "D of other"
    tracked = {row["record_id"]: row for row in batched["tracked_records"]}
    assert len(tracked) == 40
    assert (tracked[scenario.records[0]]["revision"], tracked[scenario.records[3]]["source_title"]) == (
        2,
        "Record 3 revision 1",
    )
    assert tracked[scenario.records[9]]["status"] == "resolved"
    assert tracked[scenario.records[6]]["retracted_at"] is not None
    due = {row["due_on"] for row in batched["deadline_reminders"] if row["record_id"] == scenario.records[0]}
    assert due == {date(2099, 1, 1), date(2099, 6, 2), date(2099, 6, 3)}
    assert len(batched["deadline_reminders"]) == 2 * (30 + 2 + 1)  # explainable published, then moved deadlines
    # One statement per table per run: five record runs (and the retraction and status change for tracked
    # records), four enterprise runs; a run of one type holding snapshots with and without a status has none.
    assert writes["tracked_records"] == 7, writes
    assert writes["deadline_reminders"] == 5, writes
    assert writes["enterprise_contacts"] == 9, writes


async def test_one_statement_per_table_for_a_run_of_records(new_database: Callable[[str], Awaitable[str]]) -> None:
    published = [e for e in projection_scenario().envelopes if isinstance(e.data, RecordPublished)][:30]
    async with migrated_consumer(PACKAGE, await new_database(NAME), NAME, nothing_to_register) as (_, engine, sessions):
        with writes_per_table(engine) as writes:
            async with sessions() as session, session.begin():
                await as_a_run(session, published)
    assert (writes["enterprise_contacts"], writes["tracked_records"], writes["deadline_reminders"]) == (1, 1, 1)
