"""What the tenant admin's console pages share: who may open them, reading their forms, the services' refusals."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from starlette.datastructures import FormData

from bluemap_portal.settings import current_settings
from bluemap_portal.site.i18n import N_
from bluemap_portal.workspace.backend import ApiProblem, Backend, HttpClientDep, client_ip
from bluemap_portal.workspace.messages import Message, problem_message
from bluemap_portal.workspace.session import SignedIn, WrongAccount, require_operator
from bluemap_shared.auth import ADMIN

# Reasons and other free texts of the console's forms; the services check their own limits again.
MAX_TEXT = 4000
REASON_REQUIRED = Message(N_("Please say why: the public and the enterprise are told the reason."))


def is_admin(user: SignedIn | None) -> bool:
    return user is not None and ADMIN in user.principal.roles


async def require_admin(request: Request) -> SignedIn:
    """The tenant's admins: enterprises, users, records, imports and commitments are theirs; reviewers get a 403."""
    user = await require_operator(request)
    if not is_admin(user):
        raise WrongAccount(user, "admin")
    return user


AdminSession = Annotated[SignedIn, Depends(require_admin)]


async def admin_backend(request: Request, client: HttpClientDep, user: AdminSession) -> Backend:
    return Backend(current_settings(request), client, token=user.token, client_ip=client_ip(request))


AdminBackend = Annotated[Backend, Depends(admin_backend)]


def text(form: FormData, name: str, limit: int = MAX_TEXT) -> str:
    """A text field, trimmed and cut to limit; "" when absent or a file."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def optional(form: FormData, name: str, limit: int = MAX_TEXT) -> str | None:
    return text(form, name, limit) or None


def uuid_or_none(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def field_errors(problem: ApiProblem) -> dict[str, Message]:
    """The service's refusal by form field: its 422 `errors` (location, message), else one message for the form."""
    found: dict[str, Message] = {}
    for error in problem.extensions.get("errors") or []:
        if not isinstance(error, dict):
            continue
        location = [str(part) for part in error.get("location") or [] if part != "body"]
        name = location[0] if location else "form"
        if error.get("type") == "missing":
            found.setdefault(name, Message(N_("Please fill in this field.")))
        else:
            found.setdefault(name, Message(N_("This value is not valid: %(detail)s"), {"detail": error.get("message")}))
    if not found:
        detail = problem.detail if problem.status in (409, 422) and problem.detail else None
        found["form"] = Message(N_("Refused: %(detail)s"), {"detail": detail}) if detail else problem_message(problem)
    return found


def shown(values: dict[str, Any]) -> dict[str, str]:
    """A form's values to show again after a refusal (None as empty)."""
    return {k: "" if v is None else str(v) for k, v in values.items()}
