"""Each service's migrations build exactly the tables its models declare, on SQLite and on PostgreSQL."""

import importlib
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from bluemap_shared.db import create_engine
from bluemap_shared.migrations import upgrade_to_head

PACKAGES = ["bluemap_records", "bluemap_explanations", "bluemap_documents", "bluemap_notifications", "bluemap_portal"]


def differences(connection: Connection, package: str) -> list[Any]:
    """What autogenerate would write for this service now: empty when migrations and models agree."""
    names = {table.name for table in importlib.import_module(f"{package}.models").TABLES}
    dialect = connection.dialect.name

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        if table is not None and getattr(table, "name", name) not in names:
            return False
        only_on = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
        return only_on is None or only_on == dialect

    context = MigrationContext.configure(connection, opts={"include_object": include_object, "compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def assert_migrations_match(url: str, package: str) -> None:
    await upgrade_to_head(package, url)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            found = await connection.run_sync(differences, package)
    finally:
        await engine.dispose()
    assert found == [], f"{package}: the models differ from what its migrations build; add a migration"


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index:UserWarning")
@pytest.mark.parametrize("package", PACKAGES)
async def test_migrations_build_the_models_on_sqlite(package: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    await assert_migrations_match(f"sqlite+aiosqlite:///{tmp_path / 'service.db'}", package)


@pytest.mark.integration
@pytest.mark.parametrize("package", PACKAGES)
async def test_migrations_build_the_models_on_postgresql(package: str, create_database) -> None:  # type: ignore[no-untyped-def]
    await assert_migrations_match(await create_database("drift"), package)
