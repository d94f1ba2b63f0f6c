"""Wiring of the console into the site (after the workspace, whose login, session and error pages it shares)."""

from fastapi import FastAPI

from bluemap_portal.console import commitments, enterprises, imports, records, users
from bluemap_portal.console.pages import router


def install_console(site: FastAPI) -> None:
    """The console at /console: review and chat for reviewers; the tenant admin's pages besides."""
    site.include_router(router)
    for admin_pages in (enterprises, records, imports, users, commitments):
        site.include_router(admin_pages.router)
