"""Alembic environment of the documents database."""

from bluemap_documents.models import TABLES
from bluemap_shared.migrations import run_env

run_env(TABLES)
