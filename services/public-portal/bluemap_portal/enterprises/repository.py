"""Queries of the portal's enterprises, always scoped by tenant."""

import re
from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bluemap_portal.enterprises.models import PortalEnterprise
from bluemap_shared.db import on_postgres, upsert_many
from bluemap_shared.search import holds_pieces, like_pattern, plan_for_these_words

# CJK ideographs (with extension A and the compatibility block) and CJK punctuation.
_CHINESE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Eighteen letters and digits, in either case (compared upper-cased): the only text that can equal a USCC.
_USCC_LIKE = re.compile("[0-9A-Za-z]{18}")


class EnterpriseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: str, enterprise_id: UUID) -> PortalEnterprise | None:
        result = await self.session.exec(
            select(PortalEnterprise).where(
                PortalEnterprise.tenant_id == tenant_id, PortalEnterprise.id == enterprise_id
            )
        )
        return result.first()

    def _matching(self, tenant_id: str, text: str | None, region: str | None) -> list[Any]:
        """Text matches a name, the USCC or an English name, each by an index on PostgreSQL: bitmaps OR together.

        Only the tests the text could pass are asked: within an OR, PostgreSQL checks every row the
        index found against the whole OR again, name pairs included (~30 µs a name, the SQL function).
        """
        conditions: list[Any] = [PortalEnterprise.tenant_id == tenant_id]
        if text:
            pattern = like_pattern(text)
            name = col(PortalEnterprise.name).like(pattern, escape="\\")
            pieces = holds_pieces(col(PortalEnterprise.name), text) if on_postgres(self.session) else None
            either = [name if pieces is None else and_(name, pieces)]  # LIKE first: most rows skip the pieces
            if _USCC_LIKE.fullmatch(text):
                either.append(col(PortalEnterprise.uscc) == text.upper())
            if not _CHINESE.search(text):
                # English names hold no Chinese characters.
                either.append(col(PortalEnterprise.name_en).ilike(pattern, escape="\\"))
            conditions.append(or_(*either) if len(either) > 1 else either[0])
        if region:
            conditions.append(col(PortalEnterprise.region_code).startswith(region, autoescape=True))
        return conditions

    async def _plan_for(self, text: str | None) -> None:
        if text and on_postgres(self.session):
            await plan_for_these_words(self.session)

    async def search(
        self, tenant_id: str, *, text: str | None, region: str | None = None, offset: int = 0, limit: int
    ) -> Sequence[PortalEnterprise]:
        """By a substring of the name (Chinese or English) or the exact USCC, and a region code prefix, by name;
        without either, the latest updated first."""
        await self._plan_for(text)
        result = await self.session.exec(
            self.search_query(tenant_id, text=text, region=region, offset=offset, limit=limit)
        )
        return result.all()

    def search_query(
        self, tenant_id: str, *, text: str | None, region: str | None, offset: int, limit: int
    ) -> SelectOfScalar[PortalEnterprise]:
        """What search() runs: matches by name, or without text nor region the latest updated first."""
        query = select(PortalEnterprise).where(*self._matching(tenant_id, text, region))
        if text or region:
            query = query.order_by(col(PortalEnterprise.name), col(PortalEnterprise.id))
        else:
            query = query.order_by(col(PortalEnterprise.updated_at).desc(), col(PortalEnterprise.id))
        return query.offset(offset).limit(limit)

    async def count(
        self, tenant_id: str, *, text: str | None, region: str | None = None, at_most: int | None = None
    ) -> int:
        """The matches of search(), or at_most of them when there are more (the query stops there)."""
        await self._plan_for(text)
        result = await self.session.exec(self.count_query(tenant_id, text=text, region=region, at_most=at_most))
        return int(result.one())

    def count_query(
        self, tenant_id: str, *, text: str | None, region: str | None, at_most: int | None
    ) -> SelectOfScalar[int]:
        """What count() runs."""
        matches = select(PortalEnterprise.id).where(*self._matching(tenant_id, text, region))
        if at_most is not None:
            matches = matches.limit(at_most)
        return select(func.count()).select_from(matches.subquery())

    async def search_after(
        self,
        tenant_id: str,
        *,
        text: str | None,
        region: str | None,
        after: tuple[str, UUID] | None,
        limit: int,
    ) -> Sequence[PortalEnterprise]:
        """The next limit matches by (name, id) after the given key: an export reads any number this way."""
        await self._plan_for(text)
        query = select(PortalEnterprise).where(*self._matching(tenant_id, text, region))
        if after is not None:
            name, enterprise_id = after
            query = query.where(
                or_(
                    col(PortalEnterprise.name) > name,
                    and_(col(PortalEnterprise.name) == name, col(PortalEnterprise.id) > enterprise_id),
                )
            )
        result = await self.session.exec(
            query.order_by(col(PortalEnterprise.name), col(PortalEnterprise.id)).limit(limit)
        )
        return result.all()

    async def region_codes(self, tenant_id: str) -> list[str]:
        """The distinct region codes of the tenant's enterprises."""
        result = await self.session.exec(
            select(PortalEnterprise.region_code)
            .where(PortalEnterprise.tenant_id == tenant_id, col(PortalEnterprise.region_code).is_not(None))
            .distinct()
        )
        return [code for code in result.all() if code]

    async def upsert_many(self, rows: Sequence[dict[str, Any]]) -> list[UUID]:
        """Take each row (distinct ids) unless the stored one comes from a later event (events may arrive
        out of order) or another tenant; the ids written."""

        def newer_of_same_tenant(table: Any, proposed: Any) -> Any:
            return (table.c.tenant_id == proposed.tenant_id) & (table.c.updated_at <= proposed.updated_at)

        written = await upsert_many(
            self.session, PortalEnterprise, rows, only_if=newer_of_same_tenant, returning=("id",)
        )
        return [enterprise_id for (enterprise_id,) in written]

    async def get_many(self, tenant_id: str, enterprise_ids: Collection[UUID]) -> Sequence[PortalEnterprise]:
        if not enterprise_ids:
            return []
        result = await self.session.exec(
            select(PortalEnterprise).where(
                PortalEnterprise.tenant_id == tenant_id, col(PortalEnterprise.id).in_(enterprise_ids)
            )
        )
        return result.all()
