"""Dialect-aware INSERT ... ON CONFLICT DO UPDATE for the projections."""

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


async def upsert(
    session: AsyncSession,
    model: type[SQLModel],
    values: dict[str, Any],
    *,
    key: str = "id",
    only_if: Any = None,
) -> bool:
    """Insert the row, or update every other column of the existing one (when only_if holds).

    only_if receives the table and the proposed row ("excluded") and returns the condition.
    True when a row was written.
    """
    table = model.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).values(**values)
    where: ColumnElement[bool] | None = only_if(table, stmt.excluded) if only_if is not None else None
    stmt = stmt.on_conflict_do_update(
        index_elements=[key],
        set_={column: stmt.excluded[column] for column in values if column != key},
        where=where,
    )
    result = await session.exec(stmt)
    return bool(result.rowcount)
