"""Alembic environment of the explanations database."""

from bluemap_explanations.models import TABLES
from bluemap_shared.migrations import run_env

run_env(TABLES)
