"""Alembic environment of the records database."""

from bluemap_records.models import TABLES
from bluemap_shared.migrations import run_env

run_env(TABLES)
