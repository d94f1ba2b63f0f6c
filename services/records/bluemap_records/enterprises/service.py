"""Enterprise directory use cases; the caller's transaction commits them."""

import hashlib
import secrets
from datetime import timedelta
from typing import Any
from uuid import UUID

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.enterprises.models import EmailChangeStatus, Enterprise, EnterpriseEmailChange
from bluemap_records.enterprises.repository import EmailChangeRepository, EnterpriseRepository
from bluemap_records.enterprises.rules import MAX_EMAILS
from bluemap_records.enterprises.schemas import EmailChangeCreate, EnterpriseCreate, EnterpriseUpdate
from bluemap_shared.auth import Principal
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import (
    EnterpriseEmailChangeRequested,
    EnterpriseRegistered,
    EnterpriseSnapshot,
    EnterpriseUpdated,
)
from bluemap_shared.messaging import emit
from bluemap_shared.problems import Conflict, InvalidInput, NotFound, Problem

log = structlog.get_logger()


def snapshot(enterprise: Any) -> EnterpriseSnapshot:
    """The enterprise (a model or a row with its columns) as other services see it in events."""
    return EnterpriseSnapshot(
        enterprise_id=enterprise.id,
        uscc=enterprise.uscc,
        name=enterprise.name,
        name_en=enterprise.name_en,
        region_code=enterprise.region_code,
        registered_emails=list(enterprise.registered_emails),
    )


async def register_enterprise(session: AsyncSession, tenant_id: str, data: EnterpriseCreate) -> Enterprise:
    """Add an enterprise to the directory and announce it."""
    repository = EnterpriseRepository(session)
    if await repository.get_by_uscc(tenant_id, data.uscc) is not None:
        raise Conflict(f"An enterprise with USCC {data.uscc} already exists.", uscc=data.uscc)
    enterprise = Enterprise(
        tenant_id=tenant_id,
        uscc=data.uscc,
        name=data.name,
        name_en=data.name_en,
        region_code=data.region_code,
        industry=data.industry,
        registered_emails=[str(e) for e in data.registered_emails],
    )
    repository.add(enterprise)
    await session.flush()
    emit(
        session,
        EnterpriseRegistered(enterprise=snapshot(enterprise), industry=enterprise.industry),
        tenant_id=tenant_id,
    )
    return enterprise


async def update_enterprise(
    session: AsyncSession, tenant_id: str, enterprise_id: UUID, data: EnterpriseUpdate
) -> Enterprise:
    """Change the fields sent; EnterpriseUpdated only when something really changed."""
    enterprise = await get_enterprise(session, tenant_id, enterprise_id)
    changes = data.model_dump(exclude_unset=True)
    changed = {k: v for k, v in changes.items() if getattr(enterprise, k) != v}
    if not changed:
        return enterprise
    for key, value in changed.items():
        setattr(enterprise, key, value)
    enterprise.updated_at = utcnow()
    await session.flush()
    emit(session, updated_event(enterprise), tenant_id=tenant_id)
    return enterprise


def updated_event(enterprise: Any) -> EnterpriseUpdated:
    return EnterpriseUpdated(enterprise=snapshot(enterprise), industry=enterprise.industry, status=enterprise.status)


async def get_enterprise(session: AsyncSession, tenant_id: str, enterprise_id: UUID) -> Enterprise:
    enterprise = await EnterpriseRepository(session).get(tenant_id, enterprise_id)
    if enterprise is None:
        raise NotFound("No such enterprise.")
    return enterprise


# A change of a registered email: asked for by enterprise staff, confirmed by whoever reads the new mailbox.
EMAIL_CHANGE_LIFETIME = timedelta(hours=24)
EMAIL_CHANGE_TOKEN_BYTES = 32
# Each request mails an address the requester chose: a few an hour per enterprise, so it is no spam relay.
EMAIL_CHANGES_PER_HOUR = 5


class TooManyEmailChanges(Problem):
    status = 429
    type = "too-many-requests"
    title = "Too many requests"


class EmailChangeLinkUnusable(Problem):
    """The link is known but spent: confirmed already, replaced by a newer request, or expired."""

    status = 410
    type = "email-change-link-unusable"
    title = "This confirmation link can no longer be used"


def token_hash(token: str) -> str:
    # The token carries 256 random bits, so a plain hash is enough: nothing to guess, nothing to salt.
    return hashlib.sha256(token.encode()).hexdigest()


async def request_email_change(
    session: AsyncSession, principal: Principal, enterprise_id: UUID, data: EmailChangeCreate
) -> EnterpriseEmailChange:
    """Keep a pending change (superseding older ones) and announce it with the link's token; nothing changes yet."""
    repository = EmailChangeRepository(session)
    enterprise = await repository.lock_enterprise(principal.tenant_id, enterprise_id)
    if enterprise is None:
        raise NotFound("No such enterprise.")
    new_email = str(data.new_email)
    registered = list(enterprise.registered_emails)
    if new_email.lower() in (e.lower() for e in registered):
        raise Conflict(f"{new_email} is already a registered email of the enterprise.", reason="already-registered")
    if data.replaces is not None:
        replaces: str | None = _registered_match(registered, str(data.replaces))
        if replaces is None:
            raise InvalidInput(f"{data.replaces} is not a registered email of the enterprise.", reason="not-registered")
    else:
        replaces = registered[0] if registered else None
    now = utcnow()
    recent = await repository.count_requested_since(principal.tenant_id, enterprise_id, now - timedelta(hours=1))
    if recent >= EMAIL_CHANGES_PER_HOUR:
        raise TooManyEmailChanges(
            f"At most {EMAIL_CHANGES_PER_HOUR} email changes an hour; please try again later.",
            limit=EMAIL_CHANGES_PER_HOUR,
        )
    for older in await repository.pending(principal.tenant_id, enterprise_id):
        older.status = EmailChangeStatus.SUPERSEDED
        older.decided_at = now
        session.add(older)
    token = secrets.token_urlsafe(EMAIL_CHANGE_TOKEN_BYTES)
    change = EnterpriseEmailChange(
        tenant_id=principal.tenant_id,
        enterprise_id=enterprise_id,
        new_email=new_email,
        replaces_email=replaces,
        token_sha256=token_hash(token),
        requested_by=principal.subject,
        locale=principal.locale if principal.locale in ("zh", "en") else "zh",
        requested_at=now,
        expires_at=now + EMAIL_CHANGE_LIFETIME,
    )
    repository.add(change)
    await session.flush()
    emit(
        session,
        EnterpriseEmailChangeRequested(
            change_id=change.id,
            enterprise_id=enterprise.id,
            enterprise_name=enterprise.name,
            enterprise_name_en=enterprise.name_en,
            new_email=new_email,
            replaces_email=replaces,
            confirmation_token=token,
            expires_at=change.expires_at,
            locale="en" if change.locale == "en" else "zh",
            requested_by=principal.subject,
            requested_at=now,
        ),
        tenant_id=principal.tenant_id,
    )
    log.info(
        "enterprise.email_change_requested",
        change_id=str(change.id),
        enterprise_id=str(enterprise_id),
        replaces=replaces is not None,
    )
    return change


async def pending_email_changes(
    session: AsyncSession, tenant_id: str, enterprise_id: UUID
) -> list[EnterpriseEmailChange]:
    """The change still waiting for its link (at most one: a new request supersedes), unless it expired."""
    await get_enterprise(session, tenant_id, enterprise_id)
    now = utcnow()
    return [c for c in await EmailChangeRepository(session).pending(tenant_id, enterprise_id) if c.expires_at > now]


async def confirm_email_change(session: AsyncSession, token: str) -> tuple[Enterprise, EnterpriseEmailChange]:
    """The new mailbox's reader followed the link: register the new address in place of the old one, once."""
    repository = EmailChangeRepository(session)
    change = await repository.by_token_hash(token_hash(token))
    if change is None:
        raise NotFound("This confirmation link is not known.", reason="unknown")
    # Locks in the order a request takes them (enterprise, then its changes), so the two never deadlock.
    enterprise = await repository.lock_enterprise(change.tenant_id, change.enterprise_id)
    await session.refresh(change, with_for_update=True)
    if enterprise is None:
        raise NotFound("This confirmation link is not known.", reason="unknown")
    if change.status == EmailChangeStatus.CONFIRMED:
        raise EmailChangeLinkUnusable("This email change has been confirmed already.", reason="used")
    if change.status == EmailChangeStatus.SUPERSEDED:
        raise EmailChangeLinkUnusable("A newer email change replaced this one.", reason="superseded")
    now = utcnow()
    if change.expires_at <= now:
        raise EmailChangeLinkUnusable("This confirmation link has expired.", reason="expired")
    enterprise.registered_emails = replaced_emails(
        list(enterprise.registered_emails), change.replaces_email, change.new_email
    )
    enterprise.updated_at = now
    change.status = EmailChangeStatus.CONFIRMED
    change.decided_at = now
    session.add_all([enterprise, change])
    await session.flush()
    emit(session, updated_event(enterprise), tenant_id=change.tenant_id)
    log.info("enterprise.email_change_confirmed", change_id=str(change.id), enterprise_id=str(enterprise.id))
    return enterprise, change


def replaced_emails(registered: list[str], replaces: str | None, new_email: str) -> list[str]:
    """The new address where the replaced one was; first (primary) when that one is gone meanwhile or was none."""
    current = _registered_match(registered, replaces) if replaces else None
    emails = [new_email, *registered] if current is None else [new_email if e == current else e for e in registered]
    return list(dict.fromkeys(emails))[:MAX_EMAILS]


def _registered_match(registered: list[str], address: str) -> str | None:
    """The registered address equal to address (the domain part of addresses is case-insensitive)."""
    wanted = address.lower()
    return next((e for e in registered if e.lower() == wanted), None)
