"""Alembic environment of the notifications database."""

from bluemap_notifications.models import TABLES
from bluemap_shared.migrations import run_env

run_env(TABLES)
