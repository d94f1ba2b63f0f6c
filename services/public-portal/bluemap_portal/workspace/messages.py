"""What the user reads when a service refuses something: friendly, translated, next to the right field."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bluemap_portal.site.i18n import N_, file_size, gettext
from bluemap_portal.workspace.backend import ApiProblem


@dataclass(frozen=True)
class Message:
    """A msgid (English) and its parameters; translated when shown, in the page's language."""

    text: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def translated(self, lang: str) -> str:
        text = gettext(lang, self.text)
        return text % dict(self.params) if self.params else text


GENERIC = Message(N_("The request could not be completed. Please check what you entered and try again."))
UNAVAILABLE = Message(N_("The service cannot answer right now; please try again in a moment."))
CSRF_REFUSED = Message(N_("This form has expired. Please reload the page and send it again."))

# By (problem type, reason); a reason of None matches any reason of that type.
_BY_TYPE: dict[tuple[str, str | None], str] = {
    ("unauthorized", None): N_("Your session has ended. Please log in again."),
    ("forbidden", None): N_("Your account may not do this."),
    ("not-found", None): N_("This item no longer exists, or your account may not see it."),
    ("commitment-required", None): N_("Please read and accept the commitment first."),
    ("commitment-outdated", None): N_(
        "The commitment's text changed while you were reading it. Please read the current text."
    ),
    ("explanation-not-editable", None): N_(
        "This explanation has been sent and cannot be changed unless a reviewer returns it."
    ),
    ("already-submitted", None): N_("Some of these explanations have already been sent. Please reload the page."),
    ("submission-incomplete", None): N_("Please complete every explanation before sending."),
    ("pdf-refused", "encrypted"): N_("Encrypted or password-protected PDF files are not accepted."),
    ("pdf-refused", "javascript"): N_("PDF files that contain JavaScript are not accepted."),
    ("pdf-refused", "embedded-file"): N_("PDF files with embedded files or attachments are not accepted."),
    ("pdf-refused", "active-content"): N_("PDF files with active content (forms, media, actions) are not accepted."),
    ("pdf-refused", "truncated"): N_("The PDF file is incomplete. Please save or scan it again."),
    ("pdf-refused", "unreadable"): N_("The file could not be read as a PDF."),
    ("pdf-refused", "no-pages"): N_("The PDF file has no pages."),
    ("pdf-refused", "too-many-pages"): N_("The PDF file has too many pages."),
    ("pdf-refused", "too-complex"): N_("The PDF file is too complex to be checked."),
    ("pdf-refused", None): N_("This PDF file is not accepted."),
    ("scan-mismatch", "code-not-found"): N_(
        "This is not a scan of this submission's PDF: its document number or QR code is on none of its pages. "
        "Please scan the PDF that was emailed to you, after signing or sealing it."
    ),
    ("scan-mismatch", "other-document"): N_(
        "This is the scan of another submission's PDF. Please upload it under that submission."
    ),
    ("scan-mismatch", "page-count-mismatch"): N_(
        "The scan's pages do not match the PDF that was sent. Please scan every page of it, and only those."
    ),
    ("scan-mismatch", None): N_("This is not a scan of this submission's PDF."),
    ("unsupported-media-type", "not-a-pdf"): N_("Only PDF files are accepted."),
    ("unsupported-media-type", None): N_("This kind of file is not accepted."),
    ("invalid-input", "empty"): N_("The file is empty. Please choose a PDF file."),
    ("invalid-input", "comment-required"): N_("Please say why: a rejection needs a comment."),
    ("invalid-input", "unknown-category"): N_("This document category is not known."),
    ("invalid-input", "invalid-record-id"): N_("One of the selected records is not known."),
    ("invalid-input", "too-many"): N_("Too many records were selected for one document."),
    ("conflict", "not-rendered"): N_(
        "The public explanation PDF is still being generated. Please try again in a minute."
    ),
    ("conflict", "published"): N_("The signed public explanation of this submission has already been published."),
    ("conflict", "already-decided"): N_("This has already been decided."),
    ("conflict", "superseded"): N_("A newer file replaced this one; it is no longer under review."),
    ("conflict", None): N_("This changed in the meantime. Please reload the page and try again."),
}

# Why a reviewer's decision on an explanation was refused, by where the explanation stands.
_REVIEW_REFUSED: dict[str, str] = {
    "submitted": N_("The enterprise has not uploaded the signed copy yet: it can be approved once it arrives."),
    "published": N_("This explanation is already published."),
    "draft": N_("This explanation is not waiting for review: it was returned to the enterprise."),
    "": N_("This explanation cannot be decided now. Please reload the page."),
}


def problem_message(problem: ApiProblem, *, max_upload_bytes: int | None = None) -> Message:
    """The friendly message of a service's problem."""
    if problem.type == "payload-too-large":
        limit = problem.extensions.get("max_upload_bytes") or max_upload_bytes
        if isinstance(limit, int):
            return too_large(limit)
        return Message(N_("The file is too large."))
    if problem.type == "review-refused":
        return Message(_REVIEW_REFUSED.get(str(problem.extensions.get("explanation_status")), _REVIEW_REFUSED[""]))
    text = _BY_TYPE.get((problem.type, problem.reason)) or _BY_TYPE.get((problem.type, None))
    if text is not None:
        return Message(text)
    if problem.status == 404:
        return Message(_BY_TYPE[("not-found", None)])
    return GENERIC


def too_large(limit: int) -> Message:
    return Message(N_("The file is too large: at most %(size)s per file."), {"size": file_size(limit, "en")})


# Why an explanation cannot be sent yet (reason of submission-incomplete errors).
_SENDING_REASONS: dict[str, str] = {
    "missing": N_("Please fill in and save this field before sending."),
    "empty": N_("Please fill in and save this field before sending."),
    "before-start": N_("The end of the period is before its start."),
    "not-explainable": N_("This record cannot be explained."),
}


def sending_error(reason: str) -> Message:
    return Message(_SENDING_REASONS.get(reason, _SENDING_REASONS["missing"]))


def field_error(error: Mapping[str, Any]) -> tuple[str, Message]:
    """(form field, message) of one validation error of a service's 422 (its `location` names the field)."""
    location = [str(part) for part in error.get("location") or []]
    if location and location[0] == "body":
        location = location[1:]
    name = ".".join(location) or "form"
    text = str(error.get("message") or "")
    kind = str(error.get("type") or "")
    if "at most" in text and "characters" in text:
        return name, Message(N_("This text is too long: at most 5,000 characters (200 for monitoring data)."))
    if "control characters" in text:
        return name, Message(N_("This text contains characters that are not allowed."))
    if "single line" in text:
        return name, Message(N_("Please enter a single line."))
    if "period_end is before period_start" in text:
        return "monitoring.period_end", Message(N_("The end of the period is before its start."))
    if "must not be empty" in text or "a rejection says why" in text:
        return name, Message(N_("Please fill in this field."))
    if kind == "empty-draft":
        return name, Message(N_("Nothing to save yet: please write at least one of these fields."))
    if kind.startswith(("datetime", "timezone")):
        return name, Message(N_("Please enter a valid date and time."))
    if kind == "missing":
        return name, Message(N_("Please fill in this field."))
    return name, Message(N_("This value is not valid."))
