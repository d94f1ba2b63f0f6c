"""Emails in their tenant's names and from its sender: the registry's settings, from this service's copy."""

from collections.abc import Iterable
from email.headerregistry import Address
from html import escape

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_notifications.emails.models import Email
from bluemap_shared.events.catalog import TenantProfile
from bluemap_shared.tenants import TenantDirectory, TenantSettings

# How the texts in rendering.py name the platform; a tenant's emails name the tenant instead.
PLATFORM_NAME_ZH = "蔚蓝地图"
PLATFORM_NAME_EN = "Blue Map"


def _named(text: str, profile: TenantProfile, *, html: bool = False) -> str:
    zh, en = (escape(profile.name_zh), escape(profile.name_en)) if html else (profile.name_zh, profile.name_en)
    return text.replace(PLATFORM_NAME_ZH, zh).replace(PLATFORM_NAME_EN, en)


def _heading(profile: TenantProfile) -> str:
    """The HTML body's first line: the tenant's logo (a web URL only) and name, in its brand colour."""
    logo = ""
    if profile.logo_url and profile.logo_url.lower().startswith(("https://", "http://")):
        logo = f'<img src="{escape(profile.logo_url)}" alt="" height="32"> '
    name = escape(f"{profile.name_zh} {profile.name_en}")
    return f'<p style="border-bottom:3px solid {profile.brand_colour};padding-bottom:4px">{logo}<b>{name}</b></p>\n'


def in_tenants_names(email: Email, profile: TenantProfile) -> None:
    """Say the tenant's names where the texts say the platform's (subject, text and HTML bodies); its logo and
    colour head the HTML body."""
    email.subject = " ".join(_named(email.subject, profile).split())
    email.body_text = _named(email.body_text, profile)
    if email.body_html:
        body = _named(email.body_html, profile, html=True)
        email.body_html = body.replace("<body>\n", "<body>\n" + _heading(profile), 1)


async def tenant_profiles(session: AsyncSession, tenant_ids: Iterable[str]) -> dict[str, TenantProfile]:
    """The tenants' settings as this service's copy holds them, in the caller's transaction."""
    wanted = set(tenant_ids)
    if not wanted:
        return {}
    rows = (await session.exec(select(TenantSettings).where(col(TenantSettings.tenant_id).in_(wanted)))).all()
    return {row.tenant_id: TenantProfile.model_validate(row.profile) for row in rows}


async def brand(session: AsyncSession, emails: Iterable[Email]) -> None:
    """Put each email in its tenant's names; a tenant the copy does not know yet keeps the platform's."""
    emails = list(emails)
    profiles = await tenant_profiles(session, {email.tenant_id for email in emails})
    for email in emails:
        profile = profiles.get(email.tenant_id)
        if profile is not None:
            in_tenants_names(email, profile)


def sender(profile: TenantProfile) -> str:
    """The From header of the tenant's emails: its sender name and address, quoted as RFC 5322 needs."""
    return str(Address(display_name=profile.mail_sender_name, addr_spec=profile.mail_sender_address))


async def sender_of(tenants: TenantDirectory | None, tenant_id: str, default: str) -> str:
    """The tenant's sender (from the cached copy), or the platform's default for a tenant not known here."""
    profile = await tenants.get(tenant_id) if tenants is not None else None
    return sender(profile) if profile is not None else default
