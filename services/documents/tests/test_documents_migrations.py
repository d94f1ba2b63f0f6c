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
