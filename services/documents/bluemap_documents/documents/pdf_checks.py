"""Whether an uploaded file is a PDF we are willing to store, show reviewers and publish."""

from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

from bluemap_documents.documents.uploads import UnsupportedMediaType
from bluemap_shared.problems import InvalidInput

PDF_MAGIC = b"%PDF-"
# A complete file ends with %%EOF; writers may add a few bytes of whitespace or junk after it.
EOF_WINDOW = 1024
# Bounds the walk over the object graph, so a crafted file cannot keep a worker busy.
MAX_OBJECTS = 200_000

_JAVASCRIPT_KEYS = frozenset({"/JS", "/JavaScript", "/AA"})
_EMBEDDED_KEYS = frozenset({"/EmbeddedFiles", "/EF"})
_ACTIVE_KEYS = frozenset({"/XFA", "/RichMedia"})
_ACTIVE_ACTIONS = frozenset({"/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/RichMediaExecute", "/Rendition"})
_EMBEDDING_ANNOTATIONS = frozenset({"/FileAttachment", "/RichMedia", "/Sound", "/Movie", "/Screen", "/3D"})


class PdfRefused(InvalidInput):
    """A file that parses, or claims to be a PDF, but that we do not accept; `reason` says why."""

    type = "pdf-refused"
    title = "PDF refused"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail, reason=reason)


class NotAPdf(UnsupportedMediaType):
    def __init__(self, detail: str = "Only PDF files are accepted.") -> None:
        super().__init__(detail, reason="not-a-pdf")


@dataclass(frozen=True)
class PdfFacts:
    pages: int


def _has_eof_marker(path: Path) -> bool:
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - EOF_WINDOW))
        return b"%%EOF" in handle.read()


def _active_content(trailer: DictionaryObject) -> tuple[str, str] | None:
    """(reason, detail) of the first JavaScript, embedded file or other active content reachable from the trailer."""
    stack: list[PdfObject] = [trailer]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            reference = (item.idnum, item.generation)
            if reference in seen:
                continue
            seen.add(reference)
            item = item.get_object()  # type: ignore[assignment]
        visited += 1
        if visited > MAX_OBJECTS:
            return "too-complex", f"The PDF has more than {MAX_OBJECTS} objects."
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                name = str(key)
                if name in _JAVASCRIPT_KEYS:
                    return "javascript", f"The PDF contains JavaScript ({name})."
                if name in _EMBEDDED_KEYS:
                    return "embedded-file", f"The PDF contains embedded files ({name})."
                if name in _ACTIVE_KEYS:
                    return "active-content", f"The PDF contains active content ({name})."
                if name == "/S" and isinstance(value, NameObject):
                    if value == "/JavaScript":
                        return "javascript", "The PDF contains a JavaScript action."
                    if value in _ACTIVE_ACTIONS:
                        return "active-content", f"The PDF contains a {value[1:]} action."
                if name == "/Subtype" and isinstance(value, NameObject) and value in _EMBEDDING_ANNOTATIONS:
                    if value == "/FileAttachment":
                        return "embedded-file", "The PDF contains a file attachment annotation."
                    return "active-content", f"The PDF contains a {value[1:]} annotation."
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return None


def check_pdf(path: Path, *, max_pages: int) -> PdfFacts:
    """Parse the file with pypdf and refuse what is not a plain, complete, unencrypted PDF of 1..max_pages pages.

    Blocking (CPU): call it in a worker thread.
    """
    with path.open("rb") as handle:
        head = handle.read(len(PDF_MAGIC))
    if head != PDF_MAGIC:
        raise NotAPdf()
    if not _has_eof_marker(path):
        raise PdfRefused("truncated", "The PDF is incomplete: it has no end-of-file marker.")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            raise PdfRefused("encrypted", "Encrypted or password-protected PDFs are not accepted.")
        pages = len(reader.pages)
        found = _active_content(reader.trailer)
    except PdfRefused:
        raise
    except Exception as exc:
        # pypdf signals a damaged file with assorted exceptions (PdfReadError, ValueError, KeyError,
        # RecursionError...); for untrusted input each one is bad input, never a 500.
        raise PdfRefused("unreadable", f"The file could not be read as a PDF: {type(exc).__name__}.") from exc
    if found is not None:
        raise PdfRefused(*found)
    if pages < 1:
        raise PdfRefused("no-pages", "The PDF has no pages.")
    if pages > max_pages:
        raise PdfRefused("too-many-pages", f"The PDF has {pages} pages; at most {max_pages} are accepted.")
    return PdfFacts(pages=pages)
