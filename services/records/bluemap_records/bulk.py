"""Statements for batches of thousands of rows: fast on PostgreSQL, also correct on SQLite."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam
from sqlalchemy.types import TypeEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_shared.db import on_postgres


def one_of(
    session: AsyncSession, column: Any, values: Sequence[Any], element_type: TypeEngine[Any]
) -> ColumnElement[bool]:
    """column IN values; on PostgreSQL `= ANY(array)`, one parameter however many values."""
    if on_postgres(session):
        return column == any_(bindparam(None, list(values), type_=ARRAY(element_type)))  # type: ignore[no-any-return]
    return column.in_(list(values))  # type: ignore[no-any-return]
