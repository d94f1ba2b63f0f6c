"""Downloads of a search: /search.csv (for Excel) and /search.json, streamed, with the search page's parameters."""

import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from bluemap_portal.clock import china_today
from bluemap_portal.enterprises import service
from bluemap_portal.enterprises.models import PortalEnterprise
from bluemap_portal.record_types import record_type
from bluemap_portal.records import service as records
from bluemap_portal.records.models import PortalRecord
from bluemap_portal.regions import region_label
from bluemap_portal.settings import PortalSettings, SettingsDep
from bluemap_portal.site.i18n import N_, gettext, status_label
from bluemap_portal.site.rendering import link_builder, page_language
from bluemap_portal.tenancy import TenantDep
from bluemap_shared.problems import Problem, problem_response
from bluemap_shared.runtime import RuntimeDep, ServiceRuntime

router = APIRouter()

# Excel runs a cell starting with one of these as a formula (CSV injection); tab and CR hide the sign.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# One row per public record; an enterprise without any gets one row with the record columns empty.
CSV_COLUMNS = (
    N_("Unified Social Credit Code"),
    N_("Name"),
    N_("English name"),
    N_("Region code"),
    N_("Region"),
    N_("Category"),
    N_("Year"),
    N_("Source"),
    N_("Issuing authority"),
    N_("Issued on"),
    N_("Status"),
    N_("Explanation due by"),
    N_("Original"),
    N_("Enterprise page"),
)
Batch = tuple[Sequence[PortalEnterprise], dict[UUID, list[PortalRecord]]]


def neutralise(value: object) -> str:
    """A cell as text that a spreadsheet shows rather than evaluates: formulas get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_line(cells: Sequence[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([neutralise(c) for c in cells])
    return buffer.getvalue()


class SearchExport:
    """One export: the search's parameters, read batch by batch, each batch in a short transaction of its own."""

    def __init__(self, request: Request, runtime: ServiceRuntime, settings: PortalSettings, tenant_id: str) -> None:
        self.runtime = runtime
        self.tenant_id = tenant_id
        self.batch_size = settings.export_batch_size
        self.lang = page_language(request)
        self.base = str(request.base_url).rstrip("/")
        self.href = link_builder(request, self.lang)
        self.q = service.search_text(request.query_params.get("q"))
        self.region = service.region_filter(request.query_params.get("region"))
        self.today = china_today()

    def page_url(self, enterprise_id: UUID) -> str:
        return self.base + self.href(f"/enterprises/{enterprise_id}")

    async def total(self) -> int:
        async with self.runtime.sessionmaker() as session, session.begin():
            return await service.count_enterprises(session, self.tenant_id, q=self.q, region=self.region)

    async def batches(self) -> AsyncIterator[Batch]:
        """Matching enterprises by name with their public records; the connection is free between batches."""
        after: tuple[str, UUID] | None = None
        while True:
            async with self.runtime.sessionmaker() as session, session.begin():
                batch = await service.enterprises_after(
                    session, self.tenant_id, q=self.q, region=self.region, after=after, limit=self.batch_size
                )
                found = await records.of_enterprises(session, self.tenant_id, (e.id for e in batch))
            by_enterprise: dict[UUID, list[PortalRecord]] = {}
            for record in found:
                by_enterprise.setdefault(record.enterprise_id, []).append(record)
            if batch:
                yield batch, by_enterprise
            if len(batch) < self.batch_size:
                return
            after = (batch[-1].name, batch[-1].id)

    def status(self, record: PortalRecord) -> str:
        return records.display_status(record.status, record.explanation_due_on, self.today)

    async def csv(self) -> AsyncIterator[str]:
        # The byte order mark makes Excel read UTF-8 (Chinese names) rather than the system's code page.
        yield "\ufeff" + csv_line([gettext(self.lang, c) for c in CSV_COLUMNS])
        async for enterprises, by_enterprise in self.batches():
            lines: list[str] = []
            for e in enterprises:
                company = [e.uscc, e.name, e.name_en, e.region_code, region_label(e.region_code, self.lang)]
                rows: list[PortalRecord | None] = [*by_enterprise.get(e.id, [])] or [None]
                lines.extend(csv_line([*company, *self.record_cells(r), self.page_url(e.id)]) for r in rows)
            yield "".join(lines)

    def record_cells(self, r: PortalRecord | None) -> list[object]:
        if r is None:
            return [None] * 8
        return [
            record_type(r.record_type).label(self.lang),
            r.year,
            r.source_title,
            r.issuing_authority,
            r.issued_on.isoformat(),
            status_label(self.status(r), self.lang),
            _iso(r.explanation_due_on),
            r.source_url,
        ]

    async def json(self) -> AsyncIterator[str]:
        head = {"query": {"q": self.q, "region": self.region}, "total": await self.total()}
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "enterprises": ['
        first = True
        async for enterprises, by_enterprise in self.batches():
            items = [
                json.dumps(self.enterprise_json(e, by_enterprise.get(e.id, [])), ensure_ascii=False)
                for e in enterprises
            ]
            yield ("" if first else ",") + ",".join(items)
            first = False
        yield "]}\n"

    def enterprise_json(self, e: PortalEnterprise, found: Sequence[PortalRecord]) -> dict[str, Any]:
        return {
            "id": str(e.id),
            "uscc": e.uscc,
            "name": e.name,
            "name_en": e.name_en,
            "region_code": e.region_code,
            "url": self.page_url(e.id),
            "records": [
                {
                    "id": str(r.id),
                    "record_type": r.record_type,
                    "year": r.year,
                    "source_title": r.source_title,
                    "issuing_authority": r.issuing_authority,
                    "issued_on": r.issued_on.isoformat(),
                    "status": self.status(r),
                    "explanation_due_on": _iso(r.explanation_due_on),
                    "source_url": r.source_url,
                    "url": f"{self.page_url(e.id)}#record-{r.id}",
                }
                for r in found
            ],
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _refused(request: Request, problem: Problem) -> JSONResponse:
    return problem_response(problem.status, problem.type, problem.title, problem.detail, request.url.path)


@router.get("/search.csv", response_class=Response)
async def search_csv(request: Request, runtime: RuntimeDep, settings: SettingsDep, tenant_id: TenantDep) -> Response:
    """Every enterprise the search finds with its public records, one record a row, in UTF-8 with a BOM."""
    try:
        export = SearchExport(request, runtime, settings, tenant_id)
    except Problem as problem:
        return _refused(request, problem)
    return StreamingResponse(
        export.csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="bluemap-search.csv"', "Vary": "Accept-Language, Cookie"},
    )


@router.get("/search.json", response_class=Response)
async def search_json(request: Request, runtime: RuntimeDep, settings: SettingsDep, tenant_id: TenantDep) -> Response:
    """Every enterprise the search finds with its public records, as one JSON document."""
    try:
        export = SearchExport(request, runtime, settings, tenant_id)
    except Problem as problem:
        return _refused(request, problem)
    return StreamingResponse(export.json(), media_type="application/json")
