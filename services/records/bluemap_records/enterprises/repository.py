"""Enterprise queries, always scoped by tenant."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import String, Uuid, bindparam, func, text, update
from sqlalchemy.engine import Row
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bluemap_records.bulk import one_of
from bluemap_records.enterprises.models import EmailChangeStatus, Enterprise, EnterpriseEmailChange
from bluemap_shared.db import insert_for, on_postgres
from bluemap_shared.search import holds_pieces, like_pattern, plan_for_these_words

_TABLE = Enterprise.__table__  # type: ignore[attr-defined]
# What a bulk import compares and announces; the rest stays as it is.
IMPORT_COLUMNS = ("id", "uscc", "name", "name_en", "region_code", "industry", "registered_emails", "status")


_NEW_COLUMNS = (
    "id",
    "tenant_id",
    "uscc",
    "name",
    "name_en",
    "region_code",
    "industry",
    "registered_emails",
    "status",
    "created_at",
    "updated_at",
)
_NEW_TYPES = (
    *("uuid", "varchar", "varchar", "varchar", "varchar", "varchar", "varchar", "text", "varchar"),
    *("timestamptz", "timestamptz"),
)
# Every name in the statement is a constant of this module; the values are parameters.
_INSERT_NEW = text(
    f"INSERT INTO enterprises ({', '.join(_NEW_COLUMNS)}) "  # noqa: S608
    f"SELECT {', '.join(f'CAST(k.{c} AS json)' if c == 'registered_emails' else f'k.{c}' for c in _NEW_COLUMNS)} "
    f"FROM unnest({', '.join(f'CAST(:{c} AS {t}[])' for c, t in zip(_NEW_COLUMNS, _NEW_TYPES, strict=True))}) "
    f"AS k({', '.join(_NEW_COLUMNS)}) ON CONFLICT (tenant_id, uscc) DO NOTHING RETURNING id"
).columns(_TABLE.c.id)


class EnterpriseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, enterprise_id: UUID) -> Enterprise | None:
        result = await self.session.exec(
            select(Enterprise).where(Enterprise.tenant_id == tenant_id, Enterprise.id == enterprise_id)
        )
        return result.first()

    async def get_by_uscc(self, tenant_id: str, uscc: str) -> Enterprise | None:
        result = await self.session.exec(
            select(Enterprise).where(Enterprise.tenant_id == tenant_id, Enterprise.uscc == uscc)
        )
        return result.first()

    @staticmethod
    def search_query(
        tenant_id: str, *, name_contains: str | None, after: UUID | None, limit: int, postgresql: bool
    ) -> SelectOfScalar[Enterprise]:
        """The directory in id order, optionally only names containing a substring.

        On PostgreSQL a substring of two characters or more is looked up by its character pairs in
        ix_enterprises_name_bigrams, a single character in ix_enterprises_name_chars, then checked
        with LIKE; PostgreSQL walks the names in id order instead when most hold the words, as SQLite
        always does.
        """
        query = select(Enterprise).where(Enterprise.tenant_id == tenant_id)
        if name_contains:
            query = query.where(col(Enterprise.name).like(like_pattern(name_contains), escape="\\"))
            indexed = holds_pieces(col(Enterprise.name), name_contains) if postgresql else None
            if indexed is not None:
                query = query.where(indexed)
        if after is not None:
            query = query.where(col(Enterprise.id) > after)
        return query.order_by(col(Enterprise.id)).limit(limit)

    async def search(
        self, tenant_id: str, *, name_contains: str | None, after: UUID | None, limit: int
    ) -> Sequence[Enterprise]:
        if name_contains and on_postgres(self.session):
            await plan_for_these_words(self.session)
        result = await self.session.exec(
            self.search_query(
                tenant_id, name_contains=name_contains, after=after, limit=limit, postgresql=on_postgres(self.session)
            )
        )
        return result.all()

    def add(self, enterprise: Enterprise) -> None:
        self.session.add(enterprise)

    async def for_import(self, tenant_id: str, usccs: Sequence[str]) -> dict[str, Row[Any]]:
        """The tenant's enterprises among usccs, by USCC, with the columns an import compares."""
        if not usccs:
            return {}
        columns = [_TABLE.c[c] for c in IMPORT_COLUMNS]
        if on_postgres(self.session):
            # One probe of uq_enterprises_tenant_uscc per code: `uscc = ANY(...)` read every
            # enterprise of the tenant and filtered them, a cost growing with the directory.
            selected = ", ".join(f"e.{c}" for c in IMPORT_COLUMNS)
            sql = text(
                # Every name in the statement is a constant of this module; the values are parameters.
                "SELECT m.* FROM unnest(CAST(:usccs AS varchar[])) AS k(uscc) CROSS JOIN LATERAL "  # noqa: S608
                f"(SELECT {selected} FROM enterprises e WHERE e.tenant_id = :tenant_id AND e.uscc = k.uscc) m"
            ).columns(*columns)
            connection = await self.session.connection()
            found = await connection.execute(sql, {"usccs": list(usccs), "tenant_id": tenant_id})
            return {row.uscc: row for row in found.all()}
        result = await self.session.exec(
            select(*columns).where(
                _TABLE.c.tenant_id == tenant_id, one_of(self.session, _TABLE.c.uscc, usccs, String())
            )
        )
        return {row.uscc: row for row in result.all()}

    async def insert_new(self, rows: Sequence[dict[str, Any]]) -> set[UUID]:
        """Insert enterprises (all of one tenant) unless their USCC exists by now; the ids inserted."""
        if not rows:
            return set()
        if on_postgres(self.session):
            # One array per column: one statement of constant text, which PostgreSQL plans once per
            # connection; a multi-row VALUES is a new statement for each batch's number of rows.
            params: dict[str, Any] = {name: [row[name] for row in rows] for name in _NEW_COLUMNS}
            params["registered_emails"] = [orjson.dumps(e).decode() for e in params["registered_emails"]]
            connection = await self.session.connection()
            return set((await connection.execute(_INSERT_NEW, params)).scalars().all())
        stmt = (
            insert_for(self.session)(_TABLE)
            .on_conflict_do_nothing(index_elements=["tenant_id", "uscc"])
            .returning(_TABLE.c.id)
        )
        result = await self.session.exec(stmt, params=list(rows))
        return set(result.scalars().all())

    async def update_many(self, tenant_id: str, changes: Sequence[dict[str, Any]]) -> None:
        """Overwrite name, name_en, region_code, registered_emails and updated_at of enterprises by id."""
        if not changes:
            return
        stmt = (
            update(_TABLE)
            .where(_TABLE.c.tenant_id == tenant_id, _TABLE.c.id == bindparam("b_id", type_=Uuid()))
            .values(
                name=bindparam("b_name"),
                name_en=bindparam("b_name_en"),
                region_code=bindparam("b_region_code"),
                registered_emails=bindparam("b_registered_emails", type_=_TABLE.c.registered_emails.type),
                updated_at=bindparam("b_updated_at", type_=_TABLE.c.updated_at.type),
            )
        )
        await self.session.exec(stmt, params=[{f"b_{k}": v for k, v in change.items()} for change in changes])


class EmailChangeRepository:
    """Requested changes of registered emails, always scoped by tenant (except the link's token lookup)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_enterprise(self, tenant_id: str, enterprise_id: UUID) -> Enterprise | None:
        """The enterprise, its row locked until commit: requests and confirmations of one enterprise take turns."""
        result = await self.session.exec(
            select(Enterprise)
            .where(Enterprise.tenant_id == tenant_id, Enterprise.id == enterprise_id)
            .with_for_update()
        )
        return result.first()

    async def pending(self, tenant_id: str, enterprise_id: UUID) -> Sequence[EnterpriseEmailChange]:
        """The enterprise's changes still waiting for their link, newest first (expired ones included)."""
        result = await self.session.exec(
            select(EnterpriseEmailChange)
            .where(
                EnterpriseEmailChange.tenant_id == tenant_id,
                EnterpriseEmailChange.enterprise_id == enterprise_id,
                EnterpriseEmailChange.status == EmailChangeStatus.PENDING,
            )
            .order_by(col(EnterpriseEmailChange.requested_at).desc())
        )
        return result.all()

    async def count_requested_since(self, tenant_id: str, enterprise_id: UUID, since: datetime) -> int:
        result = await self.session.exec(
            select(func.count())
            .select_from(EnterpriseEmailChange)
            .where(
                EnterpriseEmailChange.tenant_id == tenant_id,
                EnterpriseEmailChange.enterprise_id == enterprise_id,
                col(EnterpriseEmailChange.requested_at) >= since,
            )
        )
        return int(result.one())

    async def by_token_hash(self, token_sha256: str) -> EnterpriseEmailChange | None:
        """The change a link's token names; the hash is unique across tenants."""
        result = await self.session.exec(
            select(EnterpriseEmailChange).where(EnterpriseEmailChange.token_sha256 == token_sha256)
        )
        return result.first()

    def add(self, change: EnterpriseEmailChange) -> None:
        self.session.add(change)
