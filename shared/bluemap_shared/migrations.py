"""Alembic glue: each service keeps its own migrations, for its own tables, in its own database."""

import asyncio
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import Table, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from bluemap_shared.db import UTCDateTime, create_engine

MIGRATION_LOCK_KEY = 0x626C75656D6170  # "bluemap"; released when the connection closes


def alembic_config(package: str, database_url: str) -> Config:
    """Config for `<package>/migrations`, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def upgrade_to_head(package: str, database_url: str) -> None:
    """Apply every pending migration of one service (runs in a worker thread)."""
    await asyncio.to_thread(command.upgrade, alembic_config(package, database_url), "head")


def run_env(tables: Iterable[Table]) -> None:
    """Body of a service's migrations/env.py, limited to that service's tables."""
    names = {t.name for t in tables}
    url = context.config.get_main_option("sqlalchemy.url") or ""

    def migrate(connection: Connection) -> None:
        def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
            table = obj if type_ == "table" else getattr(obj, "table", None)
            if table is not None and getattr(table, "name", name) not in names:
                return False
            # An index declared for one dialect only (Index(...).ddl_if(dialect=...)) is not missing on others.
            only_on = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
            return only_on is None or only_on == connection.dialect.name

        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            include_object=include_object,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                if connection.dialect.name == "postgresql":
                    # Replicas starting together would otherwise race to apply the same revision.
                    await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                    # The lock is the session's; ending this transaction lets Alembic own the next one, which
                    # a step building an index CONCURRENTLY must commit (autocommit_block) half-way.
                    await connection.commit()
                await connection.run_sync(migrate)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())


def add_dead_letter_replay_columns() -> None:
    """Migration step every service shares: dead letters record their replays."""
    with op.batch_alter_table("dead_letters") as batch:
        batch.add_column(sa.Column("replayed_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_replay", sa.Text(), nullable=True))


def drop_dead_letter_replay_columns() -> None:
    """Undo add_dead_letter_replay_columns."""
    with op.batch_alter_table("dead_letters") as batch:
        batch.drop_column("last_replay")
        batch.drop_column("replayed_at")


def create_index_concurrently(name: str, table: str, columns: list[str], *, unique: bool = False, **kw: Any) -> None:
    """An index on a table that already holds rows: CONCURRENTLY on PostgreSQL, so writes go on while it builds.

    PostgreSQL cannot build concurrently inside a transaction, so this step commits the migration's
    work so far. A build that failed half-way leaves an INVALID index; it is dropped and built again.
    """
    if op.get_bind().dialect.name != "postgresql":
        op.create_index(name, table, columns, unique=unique, **kw)
        return
    with op.get_context().autocommit_block():
        valid = (
            op.get_bind()
            .execute(
                text(
                    "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = :n"
                ),
                {"n": name},
            )
            .scalar()
        )
        if valid is False:
            op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
        op.create_index(name, table, columns, unique=unique, postgresql_concurrently=True, if_not_exists=True, **kw)


def drop_index_concurrently(name: str, table: str) -> None:
    """Drop an index without blocking the table's writes (CONCURRENTLY on PostgreSQL)."""
    if op.get_bind().dialect.name != "postgresql":
        op.drop_index(name, table_name=table)
        return
    with op.get_context().autocommit_block():
        op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)


def create_tenant_settings_table() -> None:
    """Migration step every service but records shares: its copy of the tenant registry (bluemap_shared.tenants)."""
    op.create_table(
        "tenant_settings",
        sa.Column("tenant_id", AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", AutoString(length=20), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )


def drop_tenant_settings_table() -> None:
    op.drop_table("tenant_settings")


def create_revoked_sessions_table() -> None:
    """Migration step every service shares: the sessions records revoked (bluemap_shared.revocation)."""
    op.create_table(
        "revoked_sessions",
        sa.Column("session_id", AutoString(length=64), nullable=False),
        sa.Column("tenant_id", AutoString(length=64), nullable=False),
        sa.Column("user_id", AutoString(length=255), nullable=False),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_index(op.f("ix_revoked_sessions_expires_at"), "revoked_sessions", ["expires_at"], unique=False)


def drop_revoked_sessions_table() -> None:
    op.drop_index(op.f("ix_revoked_sessions_expires_at"), table_name="revoked_sessions")
    op.drop_table("revoked_sessions")
