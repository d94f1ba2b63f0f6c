"""Alembic environment of the public portal database."""

from bluemap_portal.models import TABLES
from bluemap_shared.migrations import run_env

run_env(TABLES)
