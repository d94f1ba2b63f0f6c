"""Revision 0006 moves submissions of the old two-machine model, in each of their states, to the one table."""

import json
from pathlib import Path
from uuid import UUID

import sqlalchemy as sa
from alembic import command

from bluemap_explanations.submissions.rules import LEGACY_STATUSES, SubmissionStatus
from bluemap_shared.ids import uuid7
from bluemap_shared.migrations import alembic_config

NOW = "2026-12-01 08:00:00.000000"


def _submission(connection: sa.Connection, status: str, outcomes: list[str], explanation_statuses: list[str]) -> UUID:
    """An old-model submission with one explanation per outcome, each in its old status."""
    submission_id = uuid7()
    connection.execute(
        sa.text(
            "INSERT INTO explanation_submissions (id, tenant_id, enterprise_id, status, language, enterprise, "
            "accuracy_acceptance_id, deadline_acceptance_id, submitted_by, submitted_at, updated_at) "
            "VALUES (:id, 'ipe', :enterprise, :status, 'zh', '{}', :a, :d, 'staff', :now, :now)"
        ),
        {
            "id": submission_id.hex,
            "enterprise": uuid7().hex,
            "status": status,
            "a": uuid7().hex,
            "d": uuid7().hex,
            "now": NOW,
        },
    )
    for position, (outcome, explanation_status) in enumerate(zip(outcomes, explanation_statuses, strict=True)):
        explanation_id, record_id = uuid7(), uuid7()
        connection.execute(
            sa.text(
                "INSERT INTO explanation_submission_items (submission_id, explanation_id, tenant_id, record_id, "
                "position, explanation_version, content, outcome) VALUES (:s, :e, 'ipe', :r, :p, 1, :c, :o)"
            ),
            {
                "s": submission_id.hex,
                "e": explanation_id.hex,
                "r": record_id.hex,
                "p": position,
                "c": json.dumps({}),
                "o": outcome,
            },
        )
        connection.execute(
            sa.text(
                "INSERT INTO explanations (id, tenant_id, record_id, enterprise_id, violation, reasons, "
                "corrective_actions, status, version, saved_by, saved_at, created_at, submission_id) "
                "VALUES (:e, 'ipe', :r, :r, 'v', 'r', 'c', :st, 1, 'staff', :now, :now, :s)"
            ),
            {"e": explanation_id.hex, "r": record_id.hex, "st": explanation_status, "now": NOW, "s": submission_id.hex},
        )
    return submission_id


def _state(connection: sa.Connection, submission_id: UUID) -> tuple[str, list[str], list[str]]:
    status = connection.execute(
        sa.text("SELECT status FROM explanation_submissions WHERE id = :id"), {"id": submission_id.hex}
    ).scalar_one()
    rows = connection.execute(
        sa.text(
            "SELECT i.outcome, e.status FROM explanation_submission_items i JOIN explanations e "
            "ON e.id = i.explanation_id WHERE i.submission_id = :id ORDER BY i.position"
        ),
        {"id": submission_id.hex},
    ).all()
    return status, [r[0] for r in rows], [r[1] for r in rows]


def test_0008_moves_each_old_state_to_the_transition_table(tmp_path: Path) -> None:
    path = tmp_path / "explanations.db"
    config = alembic_config("bluemap_explanations", f"sqlite+aiosqlite:///{path}")
    command.upgrade(config, "0007")
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        old = {
            "sent": _submission(connection, "sent", ["pending", "pending"], ["submitted", "submitted"]),
            "pdf_rendered": _submission(connection, "pdf_rendered", ["pending"], ["submitted"]),
            "signed": _submission(connection, "signed", ["pending", "pending"], ["under_review", "under_review"]),
            # The old model let a reviewer reject one explanation while the rest waited.
            "signed, one rejected": _submission(
                connection, "signed", ["rejected", "pending"], ["draft", "under_review"]
            ),
            "rendered, one rejected early": _submission(
                connection, "pdf_rendered", ["rejected", "pending"], ["draft", "submitted"]
            ),
            "reviewed, all published": _submission(
                connection, "reviewed", ["published", "published"], ["published", "published"]
            ),
            "reviewed, one rejected": _submission(
                connection, "reviewed", ["published", "rejected"], ["published", "draft"]
            ),
        }
    assert set(LEGACY_STATUSES) == {"sent", "pdf_rendered", "signed", "reviewed"}
    command.upgrade(config, "head")
    with engine.connect() as connection:
        moved = {name: _state(connection, submission_id) for name, submission_id in old.items()}
    assert moved == {
        "sent": ("sent", ["pending", "pending"], ["submitted", "submitted"]),
        "pdf_rendered": ("pdf_rendered", ["pending"], ["submitted"]),
        "signed": ("signed", ["pending", "pending"], ["under_review", "under_review"]),
        # Returned whole, as a new review would return it: the waiting explanation is editable again.
        "signed, one rejected": ("returned", ["rejected", "returned"], ["draft", "draft"]),
        "rendered, one rejected early": ("returned", ["rejected", "returned"], ["draft", "draft"]),
        "reviewed, all published": ("published", ["published", "published"], ["published", "published"]),
        # Published before the upgrade stays public: the old model published explanations one by one.
        "reviewed, one rejected": ("returned", ["published", "rejected"], ["published", "draft"]),
    }
    assert {status for status, _, _ in moved.values()} <= set(SubmissionStatus)

    command.downgrade(config, "0007")
    with engine.connect() as connection:
        statuses = {name: _state(connection, submission_id)[0] for name, submission_id in old.items()}
        columns = {c["name"] for c in sa.inspect(connection).get_columns("explanation_submissions")}
    assert set(statuses.values()) <= set(LEGACY_STATUSES)
    assert "scan_decision" not in columns
    engine.dispose()
