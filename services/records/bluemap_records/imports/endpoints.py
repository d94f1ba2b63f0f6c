"""Bulk import API: upload a file of records (import format v1), read the outcome and the rejected rows."""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any, cast
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from bluemap_records.imports.export import error_lines, errors_header
from bluemap_records.imports.jobs import ImportJobs
from bluemap_records.imports.models import RecordImport
from bluemap_records.imports.parsing import FileProblem, ImportFile
from bluemap_records.imports.repository import ImportRepository
from bluemap_records.imports.schemas import ImportResult, ImportSummary, RowError
from bluemap_records.imports.service import Importer
from bluemap_records.imports.upload import import_body_limit, receive_upload
from bluemap_records.settings import RecordsSettings
from bluemap_shared.auth import Admin
from bluemap_shared.body_limit import large_body
from bluemap_shared.problems import InvalidInput, NotFound
from bluemap_shared.runtime import RuntimeDep, ServiceRuntime, SessionDep

router = APIRouter(prefix="/v1/imports", tags=["imports"])

ERRORS_LISTED = 1000
_SUMMARY_FIELDS = set(ImportSummary.model_fields) - {"url", "errors_csv_url"}
_SUMMARY_FIELDS = set(ImportSummary.model_fields) - {"url", "errors_csv_url"}
_PAGE = 1000

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV (UTF-8 with or without BOM, or GB18030/GBK) or JSON Lines",
                        },
                        "encoding": {"type": "string", "description": "Same as the query parameter"},
                        "format": {"type": "string", "description": "Same as the query parameter"},
                    },
                }
            }
        },
    }
}


def get_settings(runtime: RuntimeDep) -> RecordsSettings:
    # The runtime holds the settings bootstrap() built, typed as the common base class.
    return cast(RecordsSettings, runtime.settings)


def get_jobs(request: Request) -> ImportJobs:
    return request.app.state.import_jobs  # type: ignore[no-any-return]


SettingsDep = Annotated[RecordsSettings, Depends(get_settings)]
JobsDep = Annotated[ImportJobs, Depends(get_jobs)]


def _summary(request: Request, record_import: RecordImport) -> dict[str, Any]:
    url = str(request.url_for("get_import", import_id=record_import.id))
    return {
        **record_import.model_dump(include=_SUMMARY_FIELDS),
        "url": url,
        "errors_csv_url": f"{url}/errors.csv",
    }


async def _result(request: Request, runtime: ServiceRuntime, tenant_id: str, import_id: UUID) -> ImportResult:
    async with runtime.sessionmaker() as session:
        repository = ImportRepository(session)
        record_import = await repository.get(tenant_id, import_id)
        if record_import is None:
            raise NotFound("No such import.")
        rejections = await repository.rejections(tenant_id, import_id, after_line=0, limit=ERRORS_LISTED + 1)
    errors = [
        RowError(line=r.line, column=p["column"] or None, reason=p["reason"]) for r in rejections for p in r.problems
    ]
    return ImportResult(
        **_summary(request, record_import),
        errors=errors[:ERRORS_LISTED],
        errors_truncated=len(errors) > ERRORS_LISTED or len(rejections) > ERRORS_LISTED,
    )


async def _until_done_or_past(importer: Importer, task: asyncio.Task[None], rows: int) -> None:
    """Wait while the import runs and has read at most rows."""
    while not task.done() and importer.counts.rows <= rows:
        importer.rows_written.clear()
        progressed = asyncio.ensure_future(importer.rows_written.wait())
        await asyncio.wait({task, progressed}, return_when=asyncio.FIRST_COMPLETED)
        progressed.cancel()


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportResult,
    openapi_extra=_UPLOAD_BODY,
    responses={
        202: {"model": ImportResult, "description": "A long import goes on as a job: poll the Location"},
        413: {"description": "The file exceeds import_max_upload_bytes (refused by Content-Length when declared)"},
        415: {"description": "Not a multipart/form-data upload"},
        422: {"description": "Not an importable file: empty, binary, wrong encoding, no header or no rows"},
    },
)
@large_body(import_body_limit)
async def create_import(
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    settings: SettingsDep,
    jobs: JobsDep,
    principal: Admin,
    encoding: str | None = Query(
        default=None, description="utf-8 or gb18030 (gbk); detected when left out, and checked when given"
    ),
    file_format: str | None = Query(default=None, alias="format", description="csv or jsonl; else by name or content"),
) -> ImportResult:
    """Import records into the caller's tenant from a file in the multipart field `file` (import format v1).

    Files of up to 50,000 rows answer when done (201); longer ones answer 202 once that many rows
    are in and go on as a job at the Location, which answers the same JSON. Bad rows are rejected
    and reported with line, column and reason; the rest is written. Importing the same file
    again changes nothing.
    """
    # The import owns its transactions (one per batch), so it takes no request session.
    upload = await receive_upload(request, max_bytes=settings.import_max_upload_bytes)
    try:
        source = await asyncio.to_thread(
            ImportFile,
            upload.file,
            size=upload.size,
            filename=upload.filename,
            encoding=encoding or upload.fields.get("encoding") or None,
            format=file_format or upload.fields.get("format") or None,
        )
    except FileProblem as exc:
        raise InvalidInput(str(exc)) from exc
    importer = Importer(
        runtime.sessionmaker,
        source,
        tenant_id=principal.tenant_id,
        created_by=principal.subject,
        filename=upload.filename,
        batch_size=settings.import_batch_size,
        metrics=runtime.metrics,
    )
    try:
        import_id = await importer.begin()
    except BaseException:
        source.close()
        raise
    task = jobs.start(importer.run())
    await _until_done_or_past(importer, task, settings.import_sync_rows)
    result = await _result(request, runtime, principal.tenant_id, import_id)
    response.headers["Location"] = result.url
    if result.status == "running":
        response.status_code = status.HTTP_202_ACCEPTED
    return result


@router.get("", response_model=list[ImportSummary])
async def list_imports(
    request: Request, session: SessionDep, principal: Admin, limit: int = Query(default=50, ge=1, le=500)
) -> list[ImportSummary]:
    """The tenant's imports, latest first."""
    rows = await ImportRepository(session).list(principal.tenant_id, limit=limit)
    return [ImportSummary(**_summary(request, r)) for r in rows]


@router.get("/{import_id}", response_model=ImportResult)
async def get_import(import_id: UUID, request: Request, runtime: RuntimeDep, principal: Admin) -> ImportResult:
    """One import: its counts and, once rows were rejected, their problems (the same JSON as the upload's)."""
    return await _result(request, runtime, principal.tenant_id, import_id)


@router.get(
    "/{import_id}/errors.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The rejected rows"}},
)
async def import_errors_csv(import_id: UUID, runtime: RuntimeDep, principal: Admin) -> StreamingResponse:
    """The rejected rows as CSV (UTF-8 with BOM): error line, columns and reasons, then the row as read."""
    tenant_id = principal.tenant_id
    async with runtime.sessionmaker() as session:
        record_import = await ImportRepository(session).get(tenant_id, import_id)
    if record_import is None:
        raise NotFound("No such import.")
    header = list(record_import.header)

    async def lines() -> AsyncIterator[str]:
        # Page by page in a session of its own: the request's ends before the body streams.
        yield errors_header(header)
        after = 0
        while True:
            async with runtime.sessionmaker() as session:
                page = await ImportRepository(session).rejections(tenant_id, import_id, after_line=after, limit=_PAGE)
            if not page:
                return
            yield "".join(error_lines(page))
            after = page[-1].line

    filename = f"import-{import_id}-errors.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
