"""Wiring of the console into the site (after the workspace, whose login, session and error pages it shares)."""

from fastapi import FastAPI

from bluemap_portal.console.pages import router


def install_console(site: FastAPI) -> None:
    """The reviewers' console at /console."""
    site.include_router(router)
