"""The reviewers' console: queues, a submission beside its PDFs decided in one review, the history."""

import asyncio
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from bluemap_portal.site.i18n import N_
from bluemap_portal.workspace.backend import ApiProblem, Backend
from bluemap_portal.workspace.messages import Message, problem_message
from bluemap_portal.workspace.rendering import render_page, see_other
from bluemap_portal.workspace.session import CSRF_FIELD, OperatorBackend, OperatorSession, check_csrf

router = APIRouter(prefix="/console")

Decision = Literal["approve", "reject"]
SubmissionView = Literal["open", "reviewed"]
DocumentView = Literal["pending", "published", "rejected", "superseded"]
MAX_COMMENT = 4000
DONE: dict[str, str] = {
    "approved": N_("Approved."),
    "rejected": N_("Rejected; the enterprise sees your comment."),
    "approved-all": N_("The signed copy and every explanation waiting for review were approved."),
    "published": N_("Published: every explanation and the signed copy were approved."),
    "returned": N_("Returned to the enterprise with your comments; it must send again and sign the new PDF."),
    "scan-refused": N_("The signed copy was refused; the enterprise uploads another scan of the same PDF."),
}
# Pages with a PDF preview frame our own file route; everything else stays as strict as the site's.
FRAMING_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'; frame-src 'self'; object-src 'self'"
)


def _done(request: Request) -> str | None:
    return DONE.get(request.query_params.get("done", ""))


def _text(form: FormData, name: str, limit: int = MAX_COMMENT) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise ApiProblem(400, "bad-request") from None


def _framing(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = FRAMING_POLICY
    return response


@router.get("", response_class=HTMLResponse)
async def queue(
    request: Request,
    user: OperatorSession,
    backend: OperatorBackend,
    submissions: SubmissionView = "open",
    documents: DocumentView = "pending",
) -> HTMLResponse:
    """The tenant's submissions (open or reviewed) and documents (by review status), oldest first."""
    statuses = None if submissions == "open" else ["published", "returned"]
    submission_rows, document_rows = await asyncio.gather(
        backend.get("explanations", "/v1/review/submissions", status=statuses, limit=100),
        backend.get("documents", "/v1/review/documents", status=documents, limit=200),
    )
    if documents == "pending":
        # Signed scans wait in their submissions: decided there, with the explanations they hold.
        document_rows = [d for d in document_rows if d["kind"] != "signed-explanation"]
    return render_page(
        request,
        "console/queue.html",
        submissions=submission_rows,
        documents=document_rows,
        submission_view=submissions,
        document_view=documents,
    )


async def _submission_context(backend: Backend, submission_id: UUID) -> dict[str, Any]:
    submission = await backend.get("explanations", f"/v1/review/submissions/{submission_id}")
    signed = (submission.get("documents") or {}).get("signed")
    scan: dict[str, Any] | None = None
    if signed:
        try:
            scan = await backend.get("documents", f"/v1/review/documents/{signed['document_id']}")
        except ApiProblem as problem:
            if problem.status != 404:
                raise
    history = await backend.get("documents", "/v1/review/decisions", submission_id=str(submission_id), limit=100)
    decisions = [
        {
            "at": d["reviewed_at"],
            "by": d["reviewed_by"],
            "decision": d["decision"],
            "comment": d["comment"],
            "what": "explanation",
            "item": item,
        }
        for item in submission["items"]
        for d in item["decisions"]
    ]
    decisions += [
        {
            "at": d["reviewed_at"],
            "by": d["reviewed_by"],
            "decision": d["decision"],
            "comment": d["comment"],
            "what": "document",
            "item": None,
        }
        for d in history
    ]
    decided_scans = {str(d["document_id"]) for d in history}
    if submission.get("scan_decision") and signed and str(signed["document_id"]) not in decided_scans:
        # Decided in explanations a moment ago; documents records it when the event reaches it.
        decisions.append(
            {
                "at": submission["reviewed_at"],
                "by": submission["reviewed_by"],
                "decision": submission["scan_decision"],
                "comment": submission.get("scan_comment"),
                "what": "document",
                "item": None,
            }
        )
    decisions.sort(key=lambda d: str(d["at"]), reverse=True)
    return {"submission": submission, "scan": scan, "history": decisions}


async def submission_page(
    request: Request,
    backend: Backend,
    submission_id: UUID,
    *,
    status_code: int = 200,
    errors: dict[str, Message] | None = None,
    comments: dict[str, str] | None = None,
) -> Response:
    context = await _submission_context(backend, submission_id)
    return _framing(
        render_page(
            request,
            "console/submission.html",
            status_code=status_code,
            errors=errors or {},
            comments=comments or {},
            done=_done(request),
            **context,
        )
    )


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
async def submission(
    request: Request, submission_id: UUID, user: OperatorSession, backend: OperatorBackend
) -> Response:
    """A submission: its records and explanations beside the rendered PDF and the signed scan; decisions; history."""
    return await submission_page(request, backend, submission_id)


def _review_body(
    form: FormData, submission: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Message], dict[str, str]]:
    """The review command from the console's form, or the errors to show beside its fields."""
    errors: dict[str, Message] = {}
    comments: dict[str, str] = {}
    verdicts = []
    for item in submission["items"]:
        if item["outcome"] != "pending":
            continue
        key = f"explanation-{item['explanation_id']}"
        decision = _text(form, f"decision-{item['explanation_id']}", 20)
        comment = _text(form, f"comment-{item['explanation_id']}").strip()
        comments[key] = comment
        if decision not in ("approved", "rejected"):
            errors[key] = Message(N_("Approve or reject this explanation."))
        elif decision == "rejected" and not comment:
            errors[key] = Message(N_("Please say why: a rejection needs a comment."))
        verdicts.append({"explanation_id": item["explanation_id"], "decision": decision, "comment": comment or None})
    body: dict[str, Any] = {"explanations": verdicts, "comment": _text(form, "comment").strip() or None}
    signed = (submission.get("documents") or {}).get("signed")
    if signed:
        key = f"document-{signed['document_id']}"
        decision = _text(form, "scan_decision", 20)
        comment = _text(form, "scan_comment").strip()
        comments[key] = comment
        if decision not in ("approved", "rejected"):
            errors[key] = Message(N_("Approve or reject the signed copy."))
        elif decision == "rejected" and not comment:
            errors[key] = Message(N_("Please say why: a rejection needs a comment."))
        body["scan"] = {"document_id": signed["document_id"], "decision": decision, "comment": comment or None}
    return body, errors, comments


async def _review(backend: Backend, submission_id: UUID, body: dict[str, Any]) -> Message | None:
    """One request: explanations decides every explanation and the signed scan in one transaction."""
    try:
        await backend.post("explanations", f"/v1/submissions/{submission_id}/review", body)
    except ApiProblem as problem:
        return problem_message(problem)
    return None


@router.post("/submissions/{submission_id}/review", response_class=HTMLResponse)
async def review_submission(
    request: Request, submission_id: UUID, user: OperatorSession, backend: OperatorBackend
) -> Response:
    """Decide the whole submission at once: published only if everything is approved, else back to the enterprise."""
    async with request.form(max_files=0, max_fields=2010) as form:
        check_csrf(request, _text(form, CSRF_FIELD, 200))
        submission = await backend.get("explanations", f"/v1/review/submissions/{submission_id}")
        body, errors, comments = _review_body(form, submission)
    if not errors:
        error = await _review(backend, submission_id, body)
        if error is None:
            return see_other(request, f"/console/submissions/{submission_id}", done=_outcome_notice(body))
        errors["review"] = error
    return await submission_page(request, backend, submission_id, status_code=422, errors=errors, comments=comments)


def _outcome_notice(body: dict[str, Any]) -> str:
    if any(v["decision"] == "rejected" for v in body["explanations"]):
        return "returned"
    scan = body.get("scan")
    return "scan-refused" if scan is not None and scan["decision"] == "rejected" else "published"


@router.post("/submissions/{submission_id}/approve-all", response_class=HTMLResponse)
async def approve_all(
    request: Request, submission_id: UUID, user: OperatorSession, backend: OperatorBackend
) -> Response:
    """Approve the signed scan and every explanation waiting for a decision: one review request."""
    async with request.form(max_files=0, max_fields=5) as form:
        check_csrf(request, _text(form, CSRF_FIELD, 200))
    submission = await backend.get("explanations", f"/v1/review/submissions/{submission_id}")
    signed = (submission.get("documents") or {}).get("signed")
    body: dict[str, Any] = {
        "explanations": [
            {"explanation_id": item["explanation_id"], "decision": "approved"}
            for item in submission["items"]
            if item["outcome"] == "pending"
        ],
        "scan": {"document_id": signed["document_id"], "decision": "approved"} if signed else None,
    }
    error = await _review(backend, submission_id, body)
    if error is not None:
        return await submission_page(request, backend, submission_id, status_code=409, errors={"review": error})
    return see_other(request, f"/console/submissions/{submission_id}", done="approved-all")


async def document_page(
    request: Request,
    backend: Backend,
    document_id: UUID,
    *,
    status_code: int = 200,
    error: Message | None = None,
    comment: str = "",
) -> Response:
    document = await backend.get("documents", f"/v1/review/documents/{document_id}")
    history, records = await asyncio.gather(
        backend.get("documents", "/v1/review/decisions", document_id=str(document_id), limit=100),
        backend.get("explanations", "/v1/records", enterprise_id=document.get("enterprise_id"), limit=1000)
        if document.get("enterprise_id")
        else asyncio.sleep(0, result=[]),
    )
    concerned = {str(r) for r in document.get("record_ids") or []}
    return _framing(
        render_page(
            request,
            "console/document.html",
            status_code=status_code,
            document=document,
            history=history,
            records=[r for r in records if str(r["record_id"]) in concerned],
            error=error,
            comment=comment,
            done=_done(request),
        )
    )


@router.get("/documents/{document_id}", response_class=HTMLResponse)
async def document(request: Request, document_id: UUID, user: OperatorSession, backend: OperatorBackend) -> Response:
    """A signed scan or supporting document: preview, the records it concerns, approve or reject, history."""
    return await document_page(request, backend, document_id)


@router.post("/documents/{document_id}/{decision}", response_class=HTMLResponse)
async def decide_document(
    request: Request, document_id: UUID, decision: Decision, user: OperatorSession, backend: OperatorBackend
) -> Response:
    """Publish or reject a document; back to the submission page when decided from there."""
    async with request.form(max_files=0, max_fields=10) as form:
        check_csrf(request, _text(form, CSRF_FIELD, 200))
        comment = _text(form, "comment").strip()
        submission_text = _text(form, "submission_id", 64)
    submission_id = _uuid(submission_text) if submission_text else None
    error: Message | None = None
    if decision == "reject" and not comment:
        error = Message(N_("Please say why: a rejection needs a comment."))
    else:
        try:
            await backend.post(
                "documents", f"/v1/review/documents/{document_id}/{decision}", {"comment": comment or None}
            )
        except ApiProblem as problem:
            error = problem_message(problem)
    done = "approved" if decision == "approve" else "rejected"
    key = f"document-{document_id}"
    if submission_id is not None:
        if error is not None:
            return await submission_page(
                request, backend, submission_id, status_code=422, errors={key: error}, comments={key: comment}
            )
        return see_other(request, f"/console/submissions/{submission_id}", fragment=key, done=done)
    if error is not None:
        return await document_page(request, backend, document_id, status_code=422, error=error, comment=comment)
    return see_other(request, f"/console/documents/{document_id}", done=done)


@router.get("/documents/{document_id}/file")
async def document_file(
    document_id: UUID,
    user: OperatorSession,
    backend: OperatorBackend,
    disposition: Literal["attachment", "inline"] = "inline",
) -> Response:
    """A document's bytes with the reviewer's token, for the preview frame (inline) or to download."""
    return await backend.file(
        "documents",
        f"/v1/documents/{document_id}/content",
        params={"disposition": disposition},
        frame_ancestors="'self'",
    )


@router.get("/emails", response_class=HTMLResponse)
async def emails(request: Request, user: OperatorSession, backend: OperatorBackend) -> HTMLResponse:
    """What the platform emailed lately (notifications service), with each delivery's status."""
    rows = await backend.get("notifications", "/v1/emails", limit=100)
    return render_page(request, "console/emails.html", emails=rows)
