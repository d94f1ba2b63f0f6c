"""Indexes on tables that hold rows are built CONCURRENTLY on PostgreSQL, and a failed build is rebuilt."""

import ast
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bluemap_shared.db import create_engine
from bluemap_shared.migrations import create_index_concurrently

REPO = Path(__file__).resolve().parents[2]
# Heads when the rule began; earlier migrations were written before it and never change.
RULE_SINCE = {"records": 8, "explanations": 4, "documents": 3, "notifications": 6, "public-portal": 5}


def in_migration(connection: Connection, *names: str) -> None:
    context = MigrationContext.configure(connection)
    with Operations.context(context), context.begin_transaction():
        for name in names:
            create_index_concurrently(name, "letters", ["sent_on"])


@pytest.mark.integration
async def test_an_index_is_built_concurrently_and_an_invalid_one_rebuilt(create_database) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(await create_database("concurrently"))
    try:
        async with engine.connect() as connection:
            await connection.execute(text("CREATE TABLE letters (id int PRIMARY KEY, sent_on int)"))
            await connection.execute(text("INSERT INTO letters SELECT g, g % 7 FROM generate_series(1, 1000) g"))
            # What a build cancelled half-way leaves behind: an index marked invalid.
            await connection.execute(text("CREATE INDEX ix_letters_sent_on ON letters (sent_on)"))
            await connection.execute(
                text("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'ix_letters_sent_on'::regclass")
            )
            await connection.commit()
            await connection.run_sync(in_migration, "ix_letters_sent_on", "ix_letters_sent_on_2")
            valid = (
                await connection.execute(
                    text(
                        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                        "WHERE c.relname LIKE 'ix_letters%' ORDER BY 1"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in valid] == [("ix_letters_sent_on", True), ("ix_letters_sent_on_2", True)]


def _indexes_on_existing_tables(path: Path) -> list[str]:
    """create_index calls in a migration on tables it did not create itself."""
    tree = ast.parse(path.read_text())
    created = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "create_table"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    found = []
    for with_node in [n for n in ast.walk(tree) if isinstance(n, ast.With)]:
        call = with_node.items[0].context_expr
        if not (isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "batch_alter_table"):
            continue
        table = call.args[0].value if call.args and isinstance(call.args[0], ast.Constant) else "?"
        for node in ast.walk(with_node):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "create_index" and table not in created:
                found.append(f"{path.name}: index on {table}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "create_index"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "op"
        ):
            table = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else "?"
            if table not in created:
                found.append(f"{path.name}: index on {table}")
    return found


def test_new_migrations_index_existing_tables_concurrently() -> None:
    offending = []
    for service, since in RULE_SINCE.items():
        [versions] = (REPO / "services" / service).glob("bluemap_*/migrations/versions")
        for path in sorted(versions.glob("[0-9]*.py")):
            if int(path.name.split("_", 1)[0]) >= since:
                offending += [f"{service}/{line}" for line in _indexes_on_existing_tables(path)]
    assert offending == [], "use bluemap_shared.migrations.create_index_concurrently for: " + ", ".join(offending)
