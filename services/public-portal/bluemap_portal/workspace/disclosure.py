"""Information Disclosure: explain and send (Step 1), upload the signed explanation, supporting documents (Step 2)."""

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from bluemap_portal.settings import PortalSettings, SettingsDep
from bluemap_portal.site.i18n import N_
from bluemap_portal.site.rendering import page_language
from bluemap_portal.workspace.backend import ApiProblem, Backend
from bluemap_portal.workspace.forms import MAX_FIELD, MONITORING_FIELDS, TEXT_FIELDS, draft_of, values_of
from bluemap_portal.workspace.menu import AUTOMATED_MONITORING, DISCLOSURE_TYPES, MENU, type_label
from bluemap_portal.workspace.messages import Message, field_error, problem_message, sending_error, too_large
from bluemap_portal.workspace.rendering import render_page, see_other
from bluemap_portal.workspace.session import CSRF_FIELD, EnterpriseBackend, EnterpriseSession, SignedIn, check_csrf
from bluemap_shared.body_limit import MULTIPART_OVERHEAD, large_body

# The records service's statuses an operator sets after an audit; the public page shows them too.
AUDIT_STATUSES = frozenset({"resolved", "restored"})
router = APIRouter(prefix="/workspace")

EDITABLE = ("draft", "saved", "rejected")
OPEN_SUBMISSIONS = ("sent", "pdf_rendered", "signed")
Kind = Literal["accuracy", "deadline"]
# Room for the multipart boundaries and the form's text fields around the files.
MAX_FILES_PER_FORM = 20
# What the pages say after a successful post (?done=...): fixed texts, so nothing of the URL is shown.
DONE: dict[str, str] = {
    "saved": N_("Saved."),
    "accepted": N_("Thank you: you accepted the commitment."),
    "uploaded": N_("The signed public explanation was uploaded. It will be reviewed before it is published."),
    "documents": N_("The supporting documents were uploaded. They will be reviewed before they are published."),
}
# The monitoring PDF goes with the explanation as a supporting document, reviewed like the others.
MONITORING_DOCUMENT_CATEGORY = "other"


def _type_or_404(record_type: str) -> str:
    if record_type not in DISCLOSURE_TYPES:
        raise ApiProblem(404, "not-found")
    return record_type


def _done(request: Request) -> str | None:
    return DONE.get(request.query_params.get("done", ""))


async def _all_pages(backend: Backend, path: str, limit: int, key: str = "id", **params: Any) -> list[Any]:
    """Every item of an explanations list paged with ?after=<last id> (bounded: no enterprise has that many)."""
    items: list[Any] = []
    after: str | None = None
    for _ in range(20):
        page = await backend.get("explanations", path, limit=limit, after=after, **params)
        items += page
        if len(page) < limit:
            break
        after = str(page[-1][key])
    return items


async def explainable_records(backend: Backend, record_type: str | None = None) -> list[dict[str, Any]]:
    """The enterprise's explainable records (of one type), each with where its explanation stands."""
    return await _all_pages(backend, "/v1/records", 1000, key="record_id", record_type=record_type)


def shown_status(record: dict[str, Any]) -> str:
    """What the workspace calls a record: its lifecycle after an audit (resolved, restored), else its explanation's."""
    lifecycle = record.get("record_status")
    return str(lifecycle) if lifecycle in AUDIT_STATUSES else str(record["status"])


# ---- Information Disclosure: one section per record type, and the List of disclosed documents ----


@router.get("/disclosure", response_class=HTMLResponse)
async def disclosure(request: Request, user: EnterpriseSession, backend: EnterpriseBackend) -> HTMLResponse:
    """Every record type with its two steps (Show/Close), and the List of disclosed documents."""
    lang = page_language(request)
    records, disclosed = await asyncio.gather(
        explainable_records(backend), backend.get("documents", "/v1/disclosures", limit=500)
    )
    opened = request.query_params.get("open", "")
    sections = []
    for code in DISCLOSURE_TYPES:
        of_type = [r for r in records if r["record_type"] == code]
        counts: dict[str, int] = {}
        for r in of_type:
            shown = shown_status(r)
            counts[shown] = counts.get(shown, 0) + 1
        sections.append(
            {
                "code": code,
                "label": type_label(code, lang),
                "count": len(of_type),
                "counts": counts,
                "rejected": [r for r in of_type if r["status"] == "rejected"],
                "open": opened == code,
            }
        )
    return render_page(
        request,
        "workspace/disclosure.html",
        sections=sections,
        disclosed=disclosed,
        done=_done(request),
        menu=MENU,
        active="disclosure",
    )


# ---- Step 1: explain the records ----


@dataclass
class RecordForm:
    """One record on the explain page: what it is, where its explanation stands, the form's values and errors."""

    record: dict[str, Any]
    number: int
    explanation: dict[str, Any] | None
    values: dict[str, str]
    errors: dict[str, Message] = field(default_factory=dict)
    open: bool = False

    @property
    def id(self) -> str:
        return str(self.record["record_id"])

    @property
    def editable(self) -> bool:
        return self.record["status"] in EDITABLE


async def _explanation(backend: Backend, record: dict[str, Any]) -> dict[str, Any] | None:
    if not record.get("saved"):
        return None
    try:
        result: dict[str, Any] = await backend.get("explanations", f"/v1/records/{record['record_id']}/explanation")
    except ApiProblem as problem:
        if problem.status == 404:
            return None
        raise
    return result


async def _commitment(backend: Backend, kind: Kind, lang: str) -> dict[str, Any]:
    result: dict[str, Any] = await backend.get("explanations", f"/v1/commitments/{kind}", lang=lang)
    return result


def _accepted(commitment: dict[str, Any]) -> bool:
    response = commitment.get("response") or {}
    return bool(response.get("answer") == "accepted")


async def explain_page(
    request: Request,
    backend: Backend,
    record_type: str,
    *,
    status_code: int = 200,
    submitted: dict[str, dict[str, str]] | None = None,
    errors: dict[str, dict[str, Message]] | None = None,
    page_errors: list[Message] | None = None,
    open_record: str | None = None,
) -> Response:
    """The records of one type with their explanation forms; submitted values and errors shown where they belong."""
    lang = page_language(request)
    commitment = await _commitment(backend, "accuracy", lang)
    if not _accepted(commitment):
        return see_other(request, "/workspace/commitments/accuracy", type=record_type)
    records, guidance = await asyncio.gather(
        explainable_records(backend, record_type),
        backend.get("explanations", "/v1/guidance", record_type=record_type, lang=lang),
    )
    explanations = await asyncio.gather(*(_explanation(backend, r) for r in records))
    forms = []
    for number, (record, explanation) in enumerate(zip(records, explanations, strict=True), start=1):
        form = RecordForm(record=record, number=number, explanation=explanation, values=values_of(explanation))
        if submitted and form.id in submitted:
            form.values.update(submitted[form.id])
        if errors and form.id in errors:
            form.errors = errors[form.id]
        form.open = bool(form.errors) or form.id == open_record
        forms.append(form)
    return render_page(
        request,
        "workspace/explain.html",
        status_code=status_code,
        record_type=record_type,
        label=type_label(record_type, lang),
        monitoring=record_type == AUTOMATED_MONITORING,
        forms=forms,
        examples=guidance[0] if guidance else None,
        commitment=commitment,
        page_errors=page_errors or [],
        done=_done(request),
        menu=MENU,
        active="disclosure",
    )


@router.get("/disclosure/{record_type}/explain", response_class=HTMLResponse)
async def explain(request: Request, record_type: str, user: EnterpriseSession, backend: EnterpriseBackend) -> Response:
    """Step 1: the records of a type, each with Show All and the three fields; Send and Upload below."""
    opened = request.query_params.get("saved")
    return await explain_page(request, backend, _type_or_404(record_type), open_record=opened)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value[:MAX_FIELD] if isinstance(value, str) else ""


async def _monitoring_document(
    backend: Backend, upload: UploadFile, record_id: UUID, max_bytes: int
) -> tuple[str | None, Message | None]:
    """Upload the PDF that goes with a monitoring explanation; (document id, None) or (None, why not)."""
    content = await upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        return None, too_large(max_bytes)
    try:
        document = await backend.post_files(
            "documents",
            "/v1/documents",
            files={"file": (upload.filename or "document.pdf", content, upload.content_type or "application/pdf")},
            data={"category": MONITORING_DOCUMENT_CATEGORY, "record_ids": str(record_id)},
        )
    except ApiProblem as problem:
        return None, problem_message(problem, max_upload_bytes=max_bytes)
    return str(document["id"]), None


def one_file_form(settings: PortalSettings) -> int:
    """Body limit of a form with one file (`@large_body`)."""
    return settings.max_upload_bytes + MULTIPART_OVERHEAD


def many_files_form(settings: PortalSettings) -> int:
    """Body limit of the supporting documents' form, MAX_FILES_PER_FORM files at most."""
    return settings.max_upload_bytes * MAX_FILES_PER_FORM + MULTIPART_OVERHEAD


@router.post("/disclosure/{record_type}/records/{record_id}", response_class=HTMLResponse)
@large_body(one_file_form)
async def save(
    request: Request,
    record_type: str,
    record_id: UUID,
    user: EnterpriseSession,
    backend: EnterpriseBackend,
    settings: SettingsDep,
) -> Response:
    """Save: the record's draft explanation (and, for monitoring data, its optional PDF)."""
    _type_or_404(record_type)
    if _too_large(request, settings.max_upload_bytes):
        return await explain_page(
            request, backend, record_type, status_code=413, page_errors=[too_large(settings.max_upload_bytes)]
        )
    key = str(record_id)
    path = f"/v1/records/{record_id}/explanation"
    async with request.form(max_files=1, max_fields=30) as form:
        check_csrf(request, _text(form, CSRF_FIELD))
        monitoring = record_type == AUTOMATED_MONITORING
        names = [*TEXT_FIELDS, "document_id"]
        if monitoring:
            names += [f"monitoring.{f}" for f in MONITORING_FIELDS]
        values = {name: _text(form, name) for name in names}
        draft, errors = draft_of(values, monitoring=monitoring)
        if not errors:
            redirect = await _put_draft(backend, path, draft, values, errors)
            if redirect:
                return see_other(request, "/workspace/commitments/accuracy", type=record_type)
        upload = form.get("document")
        if monitoring and isinstance(upload, UploadFile) and upload.filename and not errors:
            # Uploaded only once the texts were accepted, so a refused draft leaves no stray document behind.
            document_id, problem = await _monitoring_document(backend, upload, record_id, settings.max_upload_bytes)
            if problem is not None:
                errors["document"] = problem
            else:
                draft["document_id"] = values["document_id"] = document_id or ""
                await _put_draft(backend, path, draft, values, errors)
    if errors:
        return await explain_page(
            request,
            backend,
            record_type,
            status_code=422,
            submitted={key: values},
            errors={key: errors},
            open_record=key,
        )
    return see_other(
        request, f"/workspace/disclosure/{record_type}/explain", fragment=f"record-{key}", saved=key, done="saved"
    )


async def _put_draft(
    backend: Backend, path: str, draft: dict[str, Any], values: dict[str, str], errors: dict[str, Message]
) -> bool:
    """PUT the draft; its refusals go into errors by field. True when the accuracy commitment is missing."""
    try:
        await backend.put("explanations", path, draft)
    except ApiProblem as problem:
        if problem.type == "commitment-required":
            return True
        if problem.status == 422 and problem.extensions.get("errors"):
            for error in problem.extensions["errors"]:
                name, message = field_error(error)
                errors.setdefault(name if name in values or name == "document" else "form", message)
        else:
            errors["form"] = problem_message(problem)
    return False


def _too_large(request: Request, max_bytes: int, files: int = 1) -> bool:
    declared = request.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > max_bytes * files + MULTIPART_OVERHEAD


# ---- Send Public Explanation, and the two commitments ----


async def send(request: Request, backend: Backend, record_type: str) -> Response:
    """Send every editable record of the type; the deadline commitment first when it is not accepted yet."""
    records = await explainable_records(backend, record_type)
    editable = [str(r["record_id"]) for r in records if r["status"] in EDITABLE]
    if not editable:
        return await explain_page(
            request,
            backend,
            record_type,
            status_code=409,
            page_errors=[Message(N_("There is nothing to send: every record of this type has been sent."))],
        )
    try:
        submission = await backend.post(
            "explanations", "/v1/submissions", {"record_ids": editable, "language": page_language(request)}
        )
    except ApiProblem as problem:
        if problem.type == "commitment-required":
            kinds = problem.extensions.get("kinds") or []
            kind = "accuracy" if "accuracy" in kinds else "deadline"
            return see_other(request, f"/workspace/commitments/{kind}", type=record_type)
        if problem.type == "submission-incomplete":
            errors: dict[str, dict[str, Message]] = {}
            for error in problem.extensions.get("errors") or []:
                fields = errors.setdefault(str(error.get("record_id")), {})
                fields.setdefault(str(error.get("field") or "form"), sending_error(str(error.get("reason"))))
            return await explain_page(
                request,
                backend,
                record_type,
                status_code=422,
                errors=errors,
                page_errors=[problem_message(problem)],
            )
        return await explain_page(
            request, backend, record_type, status_code=problem.status, page_errors=[problem_message(problem)]
        )
    return see_other(request, f"/workspace/disclosure/{record_type}/sent/{submission['id']}")


@router.post("/disclosure/{record_type}/send", response_class=HTMLResponse)
async def send_explanations(
    request: Request, record_type: str, user: EnterpriseSession, backend: EnterpriseBackend
) -> Response:
    """Send Public Explanation: incomplete fields are shown next to their record; then the deadline commitment."""
    async with request.form(max_files=0, max_fields=5) as form:
        check_csrf(request, _text(form, CSRF_FIELD))
    return await send(request, backend, _type_or_404(record_type))


def _kind(kind: str) -> Kind:
    if kind not in ("accuracy", "deadline"):
        raise ApiProblem(404, "not-found")
    return kind  # type: ignore[return-value]


@router.get("/commitments/{kind}", response_class=HTMLResponse)
async def commitment(
    request: Request, kind: str, user: EnterpriseSession, backend: EnterpriseBackend, type: str = ""
) -> Response:
    """The commitment in force, to accept or decline: before explaining (accuracy), before sending (deadline)."""
    record_type = _type_or_404(type or DISCLOSURE_TYPES[0])
    text = await _commitment(backend, _kind(kind), page_language(request))
    return render_page(
        request,
        "workspace/commitment.html",
        kind=kind,
        commitment=text,
        record_type=record_type,
        label=type_label(record_type, page_language(request)),
        error=None,
        menu=MENU,
        active="disclosure",
    )


@router.post("/commitments/{kind}", response_class=HTMLResponse)
async def answer_commitment(
    request: Request, kind: str, user: EnterpriseSession, backend: EnterpriseBackend
) -> Response:
    """Accept (then go on: explain, or send) or Decline (the flow stops, and the page says why)."""
    commitment_kind = _kind(kind)
    async with request.form(max_files=0, max_fields=10) as form:
        check_csrf(request, _text(form, CSRF_FIELD))
        answer = _text(form, "answer")
        record_type = _type_or_404(_text(form, "type") or DISCLOSURE_TYPES[0])
        version_text = _text(form, "version")
    lang = page_language(request)
    if answer not in ("accept", "decline"):
        # Only a press of Accept or Decline is an answer; anything else records nothing.
        return see_other(request, f"/workspace/commitments/{kind}", type=record_type)
    version = int(version_text) if version_text.isdigit() else 0
    path = "acceptances" if answer == "accept" else "declines"
    try:
        await backend.post(
            "explanations", f"/v1/commitments/{commitment_kind}/{path}", {"version": version, "language": lang}
        )
    except ApiProblem as problem:
        current = await _commitment(backend, commitment_kind, lang)
        return render_page(
            request,
            "workspace/commitment.html",
            status_code=problem.status,
            kind=kind,
            commitment=current,
            record_type=record_type,
            label=type_label(record_type, lang),
            error=problem_message(problem),
            menu=MENU,
            active="disclosure",
        )
    if answer != "accept":
        return see_other(request, f"/workspace/commitments/{kind}/declined", type=record_type)
    if commitment_kind == "deadline":
        return await send(request, backend, record_type)
    return see_other(request, f"/workspace/disclosure/{record_type}/explain", done="accepted")


@router.get("/commitments/{kind}/declined", response_class=HTMLResponse)
async def declined(request: Request, kind: str, user: EnterpriseSession, type: str = "") -> HTMLResponse:
    """After Decline: nothing can be explained (or sent) without the commitment; the way back to it."""
    record_type = _type_or_404(type or DISCLOSURE_TYPES[0])
    return render_page(
        request,
        "workspace/declined.html",
        kind=_kind(kind),
        record_type=record_type,
        label=type_label(record_type, page_language(request)),
        menu=MENU,
        active="disclosure",
    )


@router.get("/disclosure/{record_type}/sent/{submission_id}", response_class=HTMLResponse)
async def sent(
    request: Request, record_type: str, submission_id: UUID, user: EnterpriseSession, backend: EnterpriseBackend
) -> HTMLResponse:
    """The confirmation: the public explanation went to the registered email; print, seal, upload."""
    submission = await backend.get("explanations", f"/v1/submissions/{submission_id}")
    return render_page(
        request,
        "workspace/sent.html",
        record_type=_type_or_404(record_type),
        label=type_label(record_type, page_language(request)),
        submission=submission,
        menu=MENU,
        active="disclosure",
    )


# ---- Upload Public Explanation: the signed or sealed scan of the PDF ----


async def upload_page(
    request: Request,
    backend: Backend,
    user: SignedIn,
    record_type: str,
    *,
    status_code: int = 200,
    errors: dict[str, Message] | None = None,
) -> HTMLResponse:
    """The enterprise's submissions of this record type, newest first, each with its PDF and a scan upload."""
    submissions, disclosed = await asyncio.gather(
        _all_pages(backend, "/v1/submissions", 200),
        backend.get("documents", "/v1/disclosures", limit=500),
    )
    scans: dict[str, dict[str, Any]] = {}
    for row in disclosed:  # newest first: the first row of a submission is its scan in force
        if row.get("submission_id"):
            scans.setdefault(str(row["submission_id"]), row)
    mine = [s for s in submissions if any(i["sent"]["record_type"] == record_type for i in s["items"])]
    mine.reverse()
    return render_page(
        request,
        "workspace/upload.html",
        status_code=status_code,
        record_type=record_type,
        label=type_label(record_type, page_language(request)),
        submissions=mine,
        scans=scans,
        open_statuses=OPEN_SUBMISSIONS,
        errors=errors or {},
        uploaded=request.query_params.get("uploaded", ""),
        done=_done(request),
        menu=MENU,
        active="disclosure",
    )


@router.get("/disclosure/{record_type}/upload", response_class=HTMLResponse)
async def upload_form(
    request: Request, record_type: str, user: EnterpriseSession, backend: EnterpriseBackend
) -> HTMLResponse:
    """Upload Public Explanation: choose the signed PDF of a submission and Submit."""
    return await upload_page(request, backend, user, _type_or_404(record_type))


@router.post("/submissions/{submission_id}/signed", response_class=HTMLResponse)
@large_body(one_file_form)
async def upload_signed(
    request: Request,
    submission_id: UUID,
    user: EnterpriseSession,
    backend: EnterpriseBackend,
    settings: SettingsDep,
    type: str = "",
    csrf_token: str = "",
) -> Response:
    """The multipart body goes straight on to the documents service; its refusals are shown next to the picker."""
    # The body is not parsed here, so the form's token comes in the query string.
    check_csrf(request, csrf_token)
    record_type = _type_or_404(type or DISCLOSURE_TYPES[0])
    key = str(submission_id)
    content_type = request.headers.get("content-type", "")
    if _too_large(request, settings.max_upload_bytes):
        error: Message | None = too_large(settings.max_upload_bytes)
        status_code = 413
    elif not content_type.lower().startswith("multipart/form-data"):
        error, status_code = Message(N_("Please choose a PDF file.")), 400
    else:
        try:
            await backend.stream_upload(
                "documents",
                f"/v1/submissions/{submission_id}/signed",
                request.stream(),
                content_type=content_type,
                length=request.headers.get("content-length"),
            )
        except ApiProblem as problem:
            error, status_code = problem_message(problem, max_upload_bytes=settings.max_upload_bytes), problem.status
        else:
            error, status_code = None, 303
    if error is not None:
        return await upload_page(request, backend, user, record_type, status_code=status_code, errors={key: error})
    return see_other(
        request,
        f"/workspace/disclosure/{record_type}/upload",
        fragment=f"submission-{key}",
        uploaded=key,
        done="uploaded",
    )


# ---- Step 2: supporting documents about the corrective actions ----


async def documents_page(
    request: Request,
    backend: Backend,
    record_type: str,
    *,
    status_code: int = 200,
    errors: dict[str, list[tuple[str, Message]]] | None = None,
    stored: list[str] | None = None,
    selected: list[str] | None = None,
) -> HTMLResponse:
    """The categories of supporting documents, grouped as in the walkthrough, each with its "+"."""
    categories, records = await asyncio.gather(
        backend.get("documents", "/v1/document-categories"),
        explainable_records(backend, record_type),
    )
    groups: list[dict[str, Any]] = []
    for category in categories:
        if not groups or groups[-1]["code"] != category["group"]:
            groups.append(
                {
                    "code": category["group"],
                    "label_zh": category["group_label_zh"],
                    "label_en": category["group_label_en"],
                    "categories": [],
                }
            )
        groups[-1]["categories"].append(category)
    return render_page(
        request,
        "workspace/documents.html",
        status_code=status_code,
        record_type=record_type,
        label=type_label(record_type, page_language(request)),
        groups=groups,
        records=records,
        selected=selected if selected is not None else [str(r["record_id"]) for r in records],
        errors=errors or {},
        stored=stored or [],
        max_upload_bytes=backend.settings.max_upload_bytes,
        menu=MENU,
        active="disclosure",
    )


@router.get("/disclosure/{record_type}/documents", response_class=HTMLResponse)
async def documents_form(
    request: Request, record_type: str, user: EnterpriseSession, backend: EnterpriseBackend
) -> HTMLResponse:
    """Step 2: "+" per category (several PDF files each), the records they support, Submit."""
    return await documents_page(request, backend, _type_or_404(record_type))


@router.post("/disclosure/{record_type}/documents", response_class=HTMLResponse)
@large_body(many_files_form)
async def upload_documents(
    request: Request,
    record_type: str,
    user: EnterpriseSession,
    backend: EnterpriseBackend,
    settings: SettingsDep,
    csrf_token: str = "",
) -> Response:
    """Each chosen file becomes one supporting document of its category; refusals are listed by category and file."""
    # Checked before the body is read (the form's token comes in the query string): a forged post uploads nothing.
    check_csrf(request, csrf_token)
    _type_or_404(record_type)
    limit = settings.max_upload_bytes
    if _too_large(request, limit, MAX_FILES_PER_FORM):
        return await documents_page(
            request, backend, record_type, status_code=413, errors={"form": [("", too_large(limit))]}
        )
    errors: dict[str, list[tuple[str, Message]]] = {}
    stored: list[str] = []
    async with request.form(max_files=MAX_FILES_PER_FORM, max_fields=200) as form:
        known = {str(r["record_id"]) for r in await explainable_records(backend, record_type)}
        selected = [v for v in form.getlist("record_ids") if isinstance(v, str) and v in known]
        chosen = [
            (name.removeprefix("file."), value)
            for name, value in form.multi_items()
            if name.startswith("file.") and isinstance(value, UploadFile) and value.filename
        ]
        if not chosen:
            errors["form"] = [("", Message(N_('Please choose at least one PDF file with a "+" button.')))]
        for category, upload in chosen:
            content = await upload.read(limit + 1)
            filename = upload.filename or "document.pdf"
            if len(content) > limit:
                errors.setdefault(category, []).append((filename, too_large(limit)))
                continue
            try:
                await backend.post_files(
                    "documents",
                    "/v1/documents",
                    files={"file": (filename, content, upload.content_type or "application/pdf")},
                    data={"category": category, "record_ids": ",".join(selected)},
                )
            except ApiProblem as problem:
                errors.setdefault(category, []).append((filename, problem_message(problem, max_upload_bytes=limit)))
            else:
                stored.append(filename)
    if errors:
        return await documents_page(
            request, backend, record_type, status_code=422, errors=errors, stored=stored, selected=selected
        )
    return see_other(
        request, "/workspace/disclosure", fragment="disclosed-documents", open=record_type, done="documents"
    )
