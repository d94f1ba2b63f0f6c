"""Revision 0002 on a database that already holds documents (SQLite; PostgreSQL runs it in every fixture)."""

from pathlib import Path
from uuid import uuid4

import sqlalchemy as sa
from alembic import command

from bluemap_shared.migrations import alembic_config


def test_0002_keeps_existing_documents_and_gives_them_defaults(tmp_path: Path) -> None:
    path = tmp_path / "documents.db"
    config = alembic_config("bluemap_documents", f"sqlite+aiosqlite:///{path}")
    command.upgrade(config, "0001")
    engine = sa.create_engine(f"sqlite:///{path}")
    document_id = uuid4().hex
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO documents (id, tenant_id, enterprise_id, kind, filename, content_type, size, sha256, "
                "storage_key, uploaded_by, created_at) VALUES (:id, 'ipe', NULL, 'supporting', 'a.pdf', "
                "'application/pdf', 1, :sha, 'sha256/aa/aa/x', 'u', '2026-03-01 00:00:00')"
            ),
            {"id": document_id, "sha": "a" * 64},
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT status, record_ids, category, submission_id FROM documents WHERE id = :id"),
            {"id": document_id},
        ).one()
        tables = set(sa.inspect(connection).get_table_names())
    assert tuple(row) == ("stored", "[]", None, None)
    assert {"submissions", "document_reviews", "known_records", "known_enterprises"} <= tables
    command.downgrade(config, "0001")
    with engine.connect() as connection:
        assert "submissions" not in set(sa.inspect(connection).get_table_names())
    engine.dispose()


def test_0008_turns_old_submission_statuses_into_a_render_state(tmp_path: Path) -> None:
    path = tmp_path / "documents.db"
    config = alembic_config("bluemap_documents", f"sqlite+aiosqlite:///{path}")
    command.upgrade(config, "0007")
    engine = sa.create_engine(f"sqlite:///{path}")
    old = {status: uuid4() for status in ("received", "rendered", "signed", "published", "failed")}
    with engine.begin() as connection:
        for status, submission_id in old.items():
            connection.execute(
                sa.text(
                    "INSERT INTO submissions (id, tenant_id, enterprise_id, enterprise_name, language, record_ids, "
                    "source_titles, event, submitted_by, submitted_at, status, render_attempts, next_render_at, "
                    "updated_at) VALUES (:id, 'ipe', :e, '企业', 'zh', '[]', '[]', '{}', 'u', :now, :status, 0, "
                    ":now, :now)"
                ),
                {"id": submission_id.hex, "e": uuid4().hex, "status": status, "now": "2026-12-01 08:00:00"},
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = {
            status: tuple(
                connection.execute(
                    sa.text("SELECT render_state, review_outcome FROM submissions WHERE id = :id"),
                    {"id": submission_id.hex},
                ).one()
            )
            for status, submission_id in old.items()
        }
        columns = {c["name"] for c in sa.inspect(connection).get_columns("submissions")}
    assert rows == {
        "received": ("pending", None),  # the render loop still picks it up
        "rendered": ("rendered", None),
        "signed": ("rendered", None),  # its scan stays a pending document until explanations decides
        "published": ("rendered", "published"),
        "failed": ("failed", None),
    }
    assert "status" not in columns
    command.downgrade(config, "0007")
    with engine.connect() as connection:
        back = {
            status: connection.execute(
                sa.text("SELECT status FROM submissions WHERE id = :id"), {"id": submission_id.hex}
            ).scalar_one()
            for status, submission_id in old.items()
        }
    assert back == {**{s: s for s in old}, "signed": "rendered"}  # no pending scan document in this test
    engine.dispose()
